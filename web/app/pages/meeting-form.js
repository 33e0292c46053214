// Booking a meeting from a case or, for a partnership's network or steering-group meeting,
// without one (from the calendar), and the organiser's dialogs: move, invite more, cancel.
// Participants are picked from the organisations a consent in force covers; whether it
// covers them for the meeting's purpose the API decides (409 consent_missing), and that
// refusal is shown on the participants field.

import { html, useState, useRef } from '../lib.js';
import { api, ApiError } from '../api.js';
import {
  Field, Select, ErrorSummary, Dialog, useForm, useTitle, useLoad, Loading, LoadError, announce, all,
  organisations, MEETING_KINDS, meetingPurpose, PURPOSES, fieldId,
} from '../ui.js';

/** Warnings of the last change, kept for the meeting page it leads to (never in the URL). */
export const lastWarnings = new Map();

const DURATIONS = [['30', '30 minuter'], ['45', '45 minuter'], ['60', '1 timme'], ['90', '1,5 timmar'], ['120', '2 timmar'], ['180', '3 timmar']];

export const MEETING_LABELS = {
  kind: 'Typ av möte', date: 'Datum', time: 'Starttid', duration: 'Längd', place: 'Plats', video_link: 'Videolänk',
  participant_user_ids: 'Deltagare', user_ids: 'Deltagare', 'external.name': 'Extern deltagares namn', 'external.email': 'Extern deltagares e-post',
};

/** The API's field names onto this form's: the time is asked as date, time and length. */
export function formErrors(err, participantsField) {
  if (!(err instanceof ApiError)) throw err;
  if (err.code === 'consent_missing') {
    return new ApiError(err.status, { ...err.problem, errors: [{ field: 'participant_user_ids', message: err.message }] });
  }
  const errors = (err.problem.errors || []).map((e) => {
    let field = e.field;
    if (field === 'starts_at') field = 'date';
    else if (field === 'ends_at') field = 'duration';
    else if (field.startsWith(participantsField)) field = 'participant_user_ids';
    else if (/^external_attendees\[\d+\]\./.test(field)) field = `external.${field.split('.').pop()}`;
    else if (field.startsWith('external_attendees')) field = 'external.name';
    return { ...e, field };
  });
  return new ApiError(err.status, { ...err.problem, errors });
}

const pad = (n) => String(n).padStart(2, '0');
const localDate = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const localTime = (d) => `${pad(d.getHours())}:${pad(d.getMinutes())}`;

/** Start and end as RFC 3339 from the local date, time and length; field errors if missing. */
export function readTime(data) {
  const date = String(data.get('date') || '');
  const time = String(data.get('time') || '');
  const minutes = Number(data.get('duration') || 60);
  const errors = {};
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) errors.date = 'Ange mötets datum.';
  if (!/^\d{2}:\d{2}$/.test(time)) errors.time = 'Ange när mötet börjar, t.ex. 09:30.';
  if (Object.keys(errors).length) return { errors };
  const start = new Date(`${date}T${time}`);
  if (Number.isNaN(start.getTime())) return { errors: { date: 'Datumet finns inte.' } };
  return { starts_at: start.toISOString(), ends_at: new Date(start.getTime() + minutes * 60000).toISOString(), errors };
}

export function TimeFields({ errors, start, minutes }) {
  const first = start || (() => {
    const d = new Date(Date.now() + 86400000);
    d.setHours(10, 0, 0, 0);
    return d;
  })();
  const length = String(minutes || 60);
  const options = DURATIONS.some(([v]) => v === length) ? DURATIONS : [[length, `${length} minuter`], ...DURATIONS];
  return html`<div class="field-row">
    <${Field} name="date" label="Datum" type="date" required defaultValue=${localDate(first)} error=${errors.date} />
    <${Field} name="time" label="Starttid" type="time" required defaultValue=${localTime(first)} error=${errors.time} />
    <${Select} name="duration" label="Längd" options=${options} selected=${length} error=${errors.duration} />
  </div>`;
}

export function PlaceFields({ errors, place = '', video = '' }) {
  return html`<${Field} name="place" label="Plats" defaultValue=${place} error=${errors.place}
      hint="Platsen står i kalenderinbjudan: skriv inget om individen." />
    <${Field} name="video_link" label="Videolänk" defaultValue=${video} error=${errors.video_link} inputmode="url"
      hint="Börjar med https://. Ange plats, videolänk eller båda." />`;
}

/** Who a meeting in this case can invite: the organisations an active consent in force covers. */
export async function inviteable(caseId, user) {
  const orgs = await organisations();
  const covered = new Map([[user.organisation_id, new Set()]]);
  if (caseId) {
    const consents = await api('GET', `/api/cases/${caseId}/consents`);
    for (const k of consents.items || consents) {
      if (k.status !== 'active' || !k.in_force) continue;
      for (const o of k.organisation_ids) {
        if (!covered.has(o)) covered.set(o, new Set());
        k.purposes.forEach((p) => covered.get(o).add(p));
      }
    }
  } else {
    orgs.forEach((o) => covered.set(o.id, new Set()));
  }
  const groups = await Promise.all(orgs.filter((o) => covered.has(o.id)).map(async (org) => {
    const people = await api('GET', `/api/organisations/${org.id}/people`);
    return { org, purposes: [...covered.get(org.id)], own: org.id === user.organisation_id, people: people.filter((p) => p.id !== user.id) };
  }));
  groups.sort((a, b) => Number(b.own) - Number(a.own));
  return groups;
}

/** Checkboxes of people, grouped by organisation; the error is tied to every choice. */
export function ParticipantPicker({ groups, error, exclude = [], hint }) {
  const id = fieldId('participant_user_ids');
  const errId = `${id}-fel`;
  const hintId = `${id}-hint`;
  const shown = groups.map((g) => ({ ...g, people: g.people.filter((p) => !exclude.includes(p.id)) })).filter((g) => g.people.length);
  return html`<fieldset id=${id} tabindex="-1" class=${error ? 'field has-error' : 'field'} aria-describedby=${[hintId, error ? errId : null].filter(Boolean).join(' ')}>
    <legend>Deltagare</legend>
    <p class="hint" id=${hintId}>${hint}</p>
    ${error && html`<p class="error" id=${errId}><span class="sr-only">Fel: </span>${error}</p>`}
    ${shown.length === 0 && html`<p class="empty">Det finns ingen fler att bjuda in.</p>`}
    ${shown.map((g, gi) => html`<fieldset class="group">
      <legend>${g.own ? `${g.org.name} (min organisation)` : g.org.name}</legend>
      ${!g.own && g.purposes.length > 0 && html`<p class="hint">Samtycket omfattar: ${g.purposes.map((p) => PURPOSES[p]).join(', ')}.</p>`}
      ${g.people.map((p, i) => html`<div class="choice">
        <input type="checkbox" id=${`${id}-${gi}-${i}`} name="participant_user_ids" value=${p.id} aria-describedby=${error ? errId : undefined} />
        <label for=${`${id}-${gi}-${i}`}>${p.display_name}</label>
      </div>`)}
    </fieldset>`)}
  </fieldset>`;
}

const PICKER_HINT = 'Du kan bjuda in personer i din organisation och i organisationer som ett gällande samtycke i ärendet omfattar. Samtycket måste omfatta mötets ändamål.';

const NO_CASE_HINT = 'Ett möte utan ärende handlar inte om en enskild person, t.ex. ett nätverksmöte eller en styrgrupp. Du kan bjuda in personer i alla organisationer.';

async function loadBooking(caseId, user) {
  const [c, groups] = await Promise.all([caseId ? api('GET', `/api/cases/${caseId}`) : null, inviteable(caseId, user)]);
  return { c, groups };
}

export function NewMeetingPage({ user, caseId }) {
  useTitle('Boka möte');
  const [{ loading, data, error }] = useLoad(() => loadBooking(caseId, user), [caseId]);
  const { errors, setErrors, busy, run } = useForm();
  const [kind, setKind] = useState('avstamningsmote');
  const form = useRef(null);
  if (loading) return html`<h1 tabindex="-1">Boka möte</h1><${Loading} />`;
  if (error) return html`<h1 tabindex="-1">Boka möte</h1><${LoadError} error=${error} />`;
  const submit = (e) => {
    e.preventDefault();
    const f = form.current;
    const data = new FormData(f);
    const time = readTime(data);
    const text = (k) => String(data.get(k) || '').trim();
    const local = { ...time.errors };
    if (!text('place') && !text('video_link')) local.place = 'Ange en plats eller en videolänk.';
    const external = { name: text('external.name'), email: text('external.email') };
    if (external.name && !external.email) local['external.email'] = 'Ange e-postadress till den externa deltagaren.';
    if (external.email && !external.name) local['external.name'] = 'Ange namnet på den externa deltagaren.';
    if (Object.keys(local).length) return setErrors(local);
    const body = {
      case_id: caseId || null,
      kind: text('kind'),
      starts_at: time.starts_at,
      ends_at: time.ends_at,
      place: text('place') || null,
      video_link: text('video_link') || null,
      participant_user_ids: all(f, 'participant_user_ids'),
      external_attendees: external.name ? [external] : [],
    };
    run(async () => {
      let meeting;
      try {
        meeting = await api('POST', '/api/meetings', body);
      } catch (err) {
        throw formErrors(err, 'participant_user_ids');
      }
      lastWarnings.set(meeting.id, { news: 'Mötet är bokat och inbjudningarna är skickade.', warnings: meeting.warnings });
      location.hash = `#/moten/${meeting.id}`;
    });
    return undefined;
  };
  const purpose = meetingPurpose(kind);
  const back = caseId ? `#/arenden/${caseId}` : '#/kalender';
  return html`<h1 tabindex="-1">${caseId ? 'Boka möte' : 'Boka möte utan ärende'}</h1>
    ${caseId
      ? html`<p>Ärende: <a href=${back}>${data.c.individual_name}</a>. Deltagarna får en inbjudan i Samverkan och en
      kalenderinbjudan med e-post. E-posten säger inget om vem mötet gäller.</p>`
      : html`<p>${NO_CASE_HINT} Deltagarna får en inbjudan i Samverkan och en kalenderinbjudan med e-post.</p>`}
    <${ErrorSummary} errors=${errors} labels=${MEETING_LABELS} />
    <form ref=${form} onSubmit=${submit} novalidate>
      <${Select} name="kind" label="Typ av möte" required value=${kind} onChange=${(e) => setKind(e.currentTarget.value)}
        error=${errors.kind} options=${Object.entries(MEETING_KINDS)} />
      ${caseId && html`<p class="hint" id="andamal" aria-live="polite">Ändamål i samtycket som krävs för deltagare från andra organisationer: ${PURPOSES[purpose]}.</p>`}
      <${TimeFields} errors=${errors} />
      <${PlaceFields} errors=${errors} />
      <${ParticipantPicker} groups=${data.groups} error=${errors.participant_user_ids} hint=${caseId ? PICKER_HINT : 'Välj vilka som ska bjudas in.'} />
      <fieldset class="field">
        <legend>Extern deltagare (valfritt)</legend>
        <p class="hint">T.ex. individen eller en anhörig, som får inbjudan med e-post.</p>
        <${Field} name="external.name" label="Namn" error=${errors['external.name']} autocomplete="off" />
        <${Field} name="external.email" label="E-post" type="email" error=${errors['external.email']} autocomplete="off" />
      </fieldset>
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>Boka mötet</button>
        <a href=${back}>Avbryt</a>
      </div>
    </form>`;
}

/** Moves the meeting or changes where it is (the organiser). */
export function MoveDialog({ meeting, onClose, onDone }) {
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  const start = new Date(meeting.starts_at);
  const minutes = Math.round((Date.parse(meeting.ends_at) - start.getTime()) / 60000);
  const submit = (e) => {
    e.preventDefault();
    const data = new FormData(form.current);
    const time = readTime(data);
    const text = (k) => String(data.get(k) || '').trim();
    const local = { ...time.errors };
    if (!text('place') && !text('video_link')) local.place = 'Ange en plats eller en videolänk.';
    if (Object.keys(local).length) return setErrors(local);
    run(async () => {
      let changed;
      try {
        changed = await api('PATCH', `/api/meetings/${meeting.id}`, {
          starts_at: time.starts_at, ends_at: time.ends_at, place: text('place'), video_link: text('video_link'),
        });
      } catch (err) {
        throw formErrors(err, 'participant_user_ids');
      }
      onDone(changed);
    });
    return undefined;
  };
  return html`<${Dialog} title="Flytta eller ändra mötet" onClose=${onClose}>
    <p>Deltagarna får en ny kalenderinbjudan som ersätter den förra.</p>
    <form ref=${form} onSubmit=${submit} novalidate>
      <${ErrorSummary} errors=${errors} labels=${MEETING_LABELS} />
      <${TimeFields} errors=${errors} start=${start} minutes=${minutes} />
      <${PlaceFields} errors=${errors} place=${meeting.place || ''} video=${meeting.video_link || ''} />
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>Spara ändringen</button>
        <button type="button" onClick=${onClose}>Avbryt</button>
      </div>
    </form>
  <//>`;
}

/** Invites more people (the organiser). */
export function InviteDialog({ meeting, user, onClose, onDone }) {
  const [{ loading, data, error }] = useLoad(() => inviteable(meeting.case_id, user), [meeting.id]);
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  const submit = (e) => {
    e.preventDefault();
    const userIds = all(form.current, 'participant_user_ids');
    if (!userIds.length) return setErrors({ participant_user_ids: 'Välj minst en person att bjuda in.' });
    run(async () => {
      let changed;
      try {
        changed = await api('POST', `/api/meetings/${meeting.id}/participants`, { user_ids: userIds });
      } catch (err) {
        throw formErrors(err, 'user_ids');
      }
      onDone(changed);
    });
    return undefined;
  };
  return html`<${Dialog} title="Bjud in fler" onClose=${onClose}>
    ${loading && html`<${Loading} />`}
    ${error && html`<${LoadError} error=${error} />`}
    ${data && html`<form ref=${form} onSubmit=${submit} novalidate>
      <${ErrorSummary} errors=${errors} labels=${MEETING_LABELS} />
      <${ParticipantPicker} groups=${data} error=${errors.participant_user_ids} hint=${PICKER_HINT}
        exclude=${meeting.participants.map((p) => p.user_id)} />
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>Bjud in</button>
        <button type="button" onClick=${onClose}>Avbryt</button>
      </div>
    </form>`}
    ${!data && html`<div class="actions"><button type="button" onClick=${onClose}>Stäng</button></div>`}
  <//>`;
}

/** Cancels the meeting (the organiser) after asking. */
export function CancelDialog({ meeting, onClose, onDone }) {
  const { errors, busy, run } = useForm();
  const cancel = () => run(async () => {
    const changed = await api('POST', `/api/meetings/${meeting.id}/cancel`);
    announce('Mötet är inställt.');
    onDone(changed);
  });
  return html`<${Dialog} title="Ställ in mötet" onClose=${onClose}>
    <p>Alla deltagare får besked om att mötet är inställt, och kalenderinbjudan tas bort.</p>
    <${ErrorSummary} errors=${errors} />
    <div class="actions">
      <button class="primary" type="button" disabled=${busy} onClick=${cancel}>Ställ in mötet</button>
      <button type="button" onClick=${onClose}>Behåll mötet</button>
    </div>
  <//>`;
}
