// Finsamteam meetings: the list and booking (`#/finsam/moten`, `#/finsam/moten/nytt`) and the
// meeting's page with its agenda of several individuals (`#/finsam/moten/{id}`). The
// coordinator puts accepted referrals on the agenda, orders it, sends it in advance and
// records per item the decision, the parties that take part and the next step. A participant
// whose organisation an item's consent does not cover sees "ärende utan samtycke för er
// organisation" and nothing else of it (the API withholds it).

import { html, useState, useRef } from '../lib.js';
import { api } from '../api.js';
import {
  Field, Select, Choices, ErrorSummary, Dialog, useForm, useTitle, useLoad, useLive, Loading, LoadError, announce, all,
  organisations, fmt, fmtWhen, fmtDate,
} from '../ui.js';
import {
  TimeFields, PlaceFields, ParticipantPicker, inviteable, readTime, formErrors, MEETING_LABELS,
} from './meeting-form.js';
import { FinsamNav, isFinsam, isCoordinator } from './finsam.js';
import { ItemPlan } from './finsam-later.js';

export const AGENDA_DECISIONS = {
  start_plan: 'Samordnad insats: teamet gör en gemensam plan', more_information: 'Behöver mer information från den som anmälde',
  postponed: 'Skjuts upp till ett senare möte', no_coordination: 'Ingen samordnad insats',
};
const MEETING_STATUS = { scheduled: 'Bokat', cancelled: 'Inställt' };
const isAgenda = (e) => isFinsam(e) || e.type.startsWith('meeting.');

/** `#/finsam/moten`: the Finsamteam meetings I see, earliest first. */
export function FinsamMeetingsPage({ user }) {
  useTitle('Teammöten');
  const [{ loading, data, error }, reload] = useLoad((background) => api('GET', '/api/finsam/meetings?limit=200', undefined, { background }), []);
  useLive((e) => { if (isAgenda(e)) reload(true); }, []);
  return html`<h1 tabindex="-1">Teammöten</h1>
    <${FinsamNav} user=${user} here="#/finsam/moten" />
    ${isCoordinator(user) && html`<p><a class="button" href="#/finsam/moten/nytt">Boka teammöte</a></p>`}
    ${loading && html`<${Loading} />`}
    ${error && html`<${LoadError} error=${error} />`}
    ${data && data.items.length === 0 && html`<p class="empty" role="status">Inga teammöten.</p>`}
    ${data && data.items.length > 0 && html`<table id="teammoten">
      <caption class="sr-only">Finsamteamets möten</caption>
      <thead><tr><th scope="col">När</th><th scope="col">Status</th><th scope="col" class="num">Punkter</th><th scope="col">Dagordningen</th></tr></thead>
      <tbody>${data.items.map((m) => html`<tr>
        <td><a href=${`#/finsam/moten/${m.meeting_id}`}>${fmtWhen(m.starts_at, m.ends_at)}</a></td>
        <td>${MEETING_STATUS[m.status] || m.status}</td>
        <td class="num">${m.items}</td>
        <td>${m.published_at ? `Skickad ${fmt(m.published_at)}` : 'Inte skickad'}</td>
      </tr>`)}</tbody>
    </table>`}`;
}

/** `#/finsam/moten/nytt`: the coordinator books a team meeting with the team's people. */
export function NewFinsamMeetingPage({ user }) {
  useTitle('Boka teammöte');
  const [{ loading, data, error }] = useLoad(() => inviteable(null, user), []);
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  if (loading) return html`<h1 tabindex="-1">Boka teammöte</h1><${Loading} />`;
  if (error) return html`<h1 tabindex="-1">Boka teammöte</h1><${LoadError} error=${error} />`;
  const submit = (e) => {
    e.preventDefault();
    const d = new FormData(form.current);
    const time = readTime(d);
    const place = String(d.get('place') || '').trim() || null;
    const video = String(d.get('video_link') || '').trim() || null;
    const local = { ...time.errors };
    if (!place && !video) local.place = 'Ange plats eller videolänk.';
    if (Object.keys(local).length) return setErrors(local);
    run(async () => {
      let booked;
      try {
        booked = await api('POST', '/api/finsam/meetings', {
          starts_at: time.starts_at, ends_at: time.ends_at, place, video_link: video,
          participant_user_ids: all(form.current, 'participant_user_ids'),
        });
      } catch (err) {
        throw formErrors(err, 'participant_user_ids');
      }
      location.hash = `#/finsam/moten/${booked.meeting.id}`;
    });
    return undefined;
  };
  return html`<h1 tabindex="-1">Boka teammöte</h1>
    <p>Ett möte med Finsamteamet, med flera anmälda personer på dagordningen. Kalenderinbjudan säger inget om vilka som tas upp.</p>
    <${ErrorSummary} errors=${errors} labels=${MEETING_LABELS} />
    <form ref=${form} onSubmit=${submit} novalidate>
      <${TimeFields} errors=${errors} minutes=${120} />
      <${PlaceFields} errors=${errors} />
      <${ParticipantPicker} groups=${data} error=${errors.participant_user_ids}
        hint="Personer i förbundet och i de organisationer som ingår i teamet." />
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>Boka teammötet</button>
        <a class="button" href="#/finsam/moten">Avbryt</a>
      </div>
    </form>`;
}

async function loadMeeting(id, background) {
  const opts = { background };
  const [m, orgs] = await Promise.all([api('GET', `/api/finsam/meetings/${id}`, undefined, opts), organisations()]);
  const accepted = m.coordinator
    ? (await api('GET', '/api/finsam/referrals?box=inbox&state=accepted&limit=200', undefined, opts)).items
    : [];
  return { m, orgs, accepted };
}

/** `#/finsam/moten/{id}`: the meeting and its agenda. */
export function FinsamMeetingPage({ user, id }) {
  const [{ loading, data, error }, reload] = useLoad((background) => loadMeeting(id, background), [id]);
  const [recording, setRecording] = useState(null);
  const [problem, setProblem] = useState(null);
  useTitle('Teammöte');
  useLive((e) => { if (e.subject_id === id || isAgenda(e)) reload(true); }, [id]);
  if (loading) return html`<h1 tabindex="-1">Teammöte</h1><${Loading} />`;
  if (error) return html`<h1 tabindex="-1">Teammöte</h1><${LoadError} error=${error} /><p><a href="#/finsam/moten">Till teammötena</a></p>`;
  const { m, orgs, accepted } = data;
  const meeting = m.meeting;
  const orgName = (oid) => (orgs.find((o) => o.id === oid) || {}).name || oid;
  const change = async (method, path, body, news) => {
    setProblem(null);
    try {
      await api(method, `/api/finsam/meetings/${id}${path}`, body);
      reload();
      announce(news);
    } catch (err) {
      setProblem(err.message);
    }
  };
  const move = (index, by) => {
    const ids = m.agenda.map((i) => i.id);
    const [item] = ids.splice(index, 1);
    ids.splice(index + by, 0, item);
    change('PUT', '/agenda', { item_ids: ids }, `Punkten är flyttad till plats ${index + by + 1}.`);
  };
  return html`<h1 tabindex="-1">Teammöte ${fmtDate(meeting.starts_at)}</h1>
    <dl class="facts">
      <dt>När</dt><dd>${fmtWhen(meeting.starts_at, meeting.ends_at)}</dd>
      <dt>Var</dt><dd>${[meeting.place, meeting.video_link].filter(Boolean).join(', ') || '–'}</dd>
      <dt>Status</dt><dd>${MEETING_STATUS[meeting.status] || meeting.status}</dd>
      <dt>Dagordningen</dt><dd id="dagordning-skickad">${m.published_at ? `Skickad till deltagarna ${fmt(m.published_at)}` : 'Inte skickad ännu'}</dd>
      <dt>Deltagare</dt><dd>${meeting.participants.map((p) => `${p.name}, ${p.organisation_name}`).join('; ')}</dd>
      <dt>Mötet</dt><dd><a href=${`#/moten/${meeting.id}`}>Svar och kalenderinbjudan</a></dd>
    </dl>
    <section aria-labelledby="dagordning-rubrik">
      <h2 id="dagordning-rubrik">Dagordning</h2>
      ${!m.coordinator && !m.published_at && html`<p class="empty">Koordinatorn har inte skickat dagordningen ännu.</p>`}
      ${m.agenda.length === 0 && (m.coordinator || m.published_at) && html`<p class="empty">Inga punkter på dagordningen.</p>`}
      ${problem && html`<div class="error-summary" role="alert"><p>${problem}</p></div>`}
      <ol id="dagordning" class="cards">${m.agenda.map((item, i) => html`<li class="panel" data-withheld=${item.withheld ? 'true' : 'false'}>
        ${item.withheld
          ? html`<h3>Punkt ${i + 1}: ärende utan samtycke för er organisation</h3>
            <p class="hint">Personens samtycke omfattar inte er organisation. Ni ser inte vem punkten gäller.</p>`
          : html`<${AgendaItem} item=${item} index=${i} orgName=${orgName} coordinator=${m.coordinator} user=${user} />`}
        ${m.coordinator && html`<div class="row-actions">
          ${i > 0 && html`<button type="button" onClick=${() => move(i, -1)}>Flytta upp<span class="sr-only"> punkt ${i + 1}</span></button>`}
          ${i < m.agenda.length - 1 && html`<button type="button" onClick=${() => move(i, 1)}>Flytta ned<span class="sr-only"> punkt ${i + 1}</span></button>`}
          ${!item.recorded && !item.withheld && html`<button type="button" class="primary" onClick=${() => setRecording(item)}>Protokollför<span class="sr-only"> punkt ${i + 1}</span></button>`}
          ${!item.recorded && html`<button type="button" onClick=${() => change('DELETE', `/agenda/${item.id}`, undefined, 'Punkten är borttagen från dagordningen.')}>Ta bort<span class="sr-only"> punkt ${i + 1}</span> från dagordningen</button>`}
        </div>`}
      </li>`)}</ol>
      ${m.coordinator && html`<${AddToAgenda} accepted=${accepted} onAdd=${(referralId) => change('POST', '/agenda', { referral_id: referralId }, 'Anmälan är tillagd sist på dagordningen.')} />`}
      ${m.coordinator && m.agenda.length > 0 && html`<p><button type="button" onClick=${() => change('POST', '/publish', undefined, 'Dagordningen är skickad till deltagarna.')}>
        ${m.published_at ? 'Skicka dagordningen igen' : 'Skicka dagordningen till deltagarna'}</button>
        <span class="hint"> Deltagarna får en notis om att dagordningen finns i Samverkan. E-posten nämner ingen person.</span></p>`}
    </section>
    ${recording && html`<${RecordDialog} meetingId=${id} item=${recording} orgs=${orgs} forbund=${m.forbund_organisation_id}
      onClose=${() => setRecording(null)} onDone=${() => { setRecording(null); reload(); announce('Beslutet är protokollfört.'); }} />`}`;
}

function AgendaItem({ item, index, orgName, coordinator, user }) {
  const r = item.referral;
  return html`<h3>Punkt ${index + 1}: ${coordinator ? html`<a href=${`#/finsam/anmalningar/${r.referral_id}`}>${r.individual_name}</a>` : r.individual_name}</h3>
    <dl class="facts">
      <dt>Anmäld av</dt><dd>${r.referrer_organisation_name}</dd>
      <dt>Varför samordning</dt><dd class="body">${r.why_coordination}</dd>
      <dt>Eget mål</dt><dd class="body">${r.own_goal}</dd>
      ${r.practical_needs && html`<dt>Praktiska behov</dt><dd class="body">${r.practical_needs}</dd>`}
      ${r.decision && html`<dt>Beslut</dt><dd class="beslut">${AGENDA_DECISIONS[r.decision]}</dd>
        <dt>Parter som deltar</dt><dd>${r.party_organisation_ids.map(orgName).join(', ') || '–'}</dd>
        <dt>Nästa steg</dt><dd class="body">${r.next_step}</dd>`}
    </dl>
    ${r.decision === 'start_plan' && html`<${ItemPlan} referral=${r} user=${user} coordinator=${coordinator} />`}`;
}

/** Puts one of the förbund's accepted referrals last on the agenda. */
function AddToAgenda({ accepted, onAdd }) {
  const form = useRef(null);
  if (accepted.length === 0) return html`<p class="empty">Inga antagna anmälningar väntar på ett teammöte.</p>`;
  const submit = (e) => {
    e.preventDefault();
    onAdd(new FormData(form.current).get('referral_id'));
  };
  return html`<form ref=${form} onSubmit=${submit} class="field-row" aria-label="Lägg till på dagordningen">
    <${Select} name="referral_id" label="Antagen anmälan" options=${accepted.map((r) => [r.id, `${r.individual_name} (${r.referrer_organisation_name})`])} />
    <button type="submit">Lägg till på dagordningen</button>
  </form>`;
}

/** The team's record for one item: decision, parties that take part, next step. */
function RecordDialog({ meetingId, item, orgs, forbund, onClose, onDone }) {
  const { errors, busy, run } = useForm();
  const [decision, setDecision] = useState('start_plan');
  const form = useRef(null);
  const parties = [...orgs.filter((o) => o.id === forbund), ...orgs.filter((o) => o.id !== forbund)];
  const submit = (e) => {
    e.preventDefault();
    const f = form.current;
    const body = {
      decision,
      party_organisation_ids: all(f, 'party_organisation_ids'),
      next_step: String(new FormData(f).get('next_step') || '').trim(),
    };
    run(async () => {
      try {
        await api('POST', `/api/finsam/meetings/${meetingId}/agenda/${item.id}/record`, body);
      } catch (err) {
        Object.keys(err.fields || {}).filter((k) => k.startsWith('party_organisation_ids[')).forEach((k) => {
          err.fields.party_organisation_ids = err.fields[k];
        });
        throw err;
      }
      onDone();
    });
    return undefined;
  };
  return html`<${Dialog} title=${`Protokollför: ${item.referral.individual_name}`} onClose=${onClose}>
    <form ref=${form} onSubmit=${submit} novalidate>
      <${ErrorSummary} errors=${errors} labels=${{ decision: 'Beslut', party_organisation_ids: 'Parter som deltar', next_step: 'Nästa steg' }} />
      <fieldset class="field" id="f-decision" tabindex="-1">
        <legend>Beslut <span class="req">(måste fyllas i)</span></legend>
        ${Object.entries(AGENDA_DECISIONS).map(([value, label], i) => html`<div class="choice">
          <input type="radio" id=${`f-decision-${i}`} name="decision" value=${value} checked=${decision === value} onChange=${() => setDecision(value)} />
          <label for=${`f-decision-${i}`}>${label}</label>
        </div>`)}
      </fieldset>
      <${Choices} name="party_organisation_ids" legend="Parter som deltar" required=${decision === 'start_plan'} error=${errors.party_organisation_ids}
        hint="Förbundet och de organisationer i teamet som tar del av insatsen." options=${parties.map((o) => [o.id, o.name])} />
      <${Field} name="next_step" label="Nästa steg" multiline required error=${errors.next_step}
        hint="T.ex. planeringsmöte med personen och parterna." />
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>Spara beslutet</button>
        <button type="button" onClick=${onClose}>Avbryt</button>
      </div>
    </form>
  <//>`;
}
