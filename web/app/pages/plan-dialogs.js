// The plan's dialogs: adoption with the participation record, an action's status (by its
// responsible organisation), booking the follow-up as a meeting, and confirming a step.

import { html, useRef } from '../lib.js';
import { api } from '../api.js';
import { Field, Select, Choices, ErrorSummary, Dialog, useForm, all } from '../ui.js';
import { ACTION_STATUS, NEXT_STATUS, AGREEMENTS, contentOrganisations, today } from './plan-common.js';

const ADOPT_LABELS = {
  organisations: 'Organisationer som deltog', participants: 'Organisationer som deltog',
  individual_present: 'Individen deltog', agreement: 'Individens godkännande',
};
/** The adoption's problems that concern the draft, not the participation. */
export const CONTENT_FIELDS = /^(own_goal|goals|actions|overall|follow_up_on|readers)/;

/**
 * Fastställ: who took part, whether the individual was there and how they agreed.
 * `onContentErrors(errors)` hands problems with the draft back to the editor.
 */
export function AdoptDialog({ plan, names, onClose, onDone, onContentErrors }) {
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  const inPlan = [...new Set([plan.owner_organisation_id, ...contentOrganisations(plan.draft)])];
  const submit = (e) => {
    e.preventDefault();
    const f = form.current;
    const data = new FormData(f);
    const body = {
      organisations: all(f, 'organisations'),
      individual_present: data.get('individual_present') === 'ja',
      agreement: String(data.get('agreement') || ''),
    };
    const local = {};
    if (!body.organisations.length) local.organisations = 'Ange vilka organisationer som deltog.';
    if (!body.agreement) local.agreement = 'Ange om och hur individen godkände planen.';
    if (Object.keys(local).length) return setErrors(local);
    run(async () => {
      try {
        const adopted = await api('POST', `/api/plans/${plan.id}/adopt`, body);
        onDone(adopted);
      } catch (err) {
        const fields = err.fields || {};
        const content = Object.fromEntries(Object.entries(fields).filter(([k]) => CONTENT_FIELDS.test(k)));
        if (Object.keys(content).length) onContentErrors(content);
        throw err;
      }
    });
    return undefined;
  };
  const fieldErr = (k) => errors[k] || (k === 'organisations' ? errors.participants : undefined);
  return html`<${Dialog} title="Fastställ planen" onClose=${onClose}>
    <p>Planen fastställs som den står i det sparade utkastet. Den fastställda versionen kan inte ändras i efterhand; ändringar görs i en ny version.</p>
    <form ref=${form} onSubmit=${submit} novalidate>
      <${ErrorSummary} errors=${errors} labels=${ADOPT_LABELS} />
      <${Choices} name="organisations" legend="Organisationer som deltog" required error=${fieldErr('organisations')}
        options=${inPlan.map((o) => [o, names.org(o)])} checked=${inPlan} />
      <${Choices} name="individual_present" legend="Deltog individen?" type="radio" error=${errors.individual_present}
        options=${[['ja', 'Ja, individen deltog'], ['nej', 'Nej, individen deltog inte']]} checked=${['ja']} />
      <${Choices} name="agreement" legend="Godkände individen planen?" type="radio" required error=${errors.agreement}
        options=${Object.entries(AGREEMENTS)} />
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>Fastställ</button>
        <button type="button" onClick=${onClose}>Avbryt</button>
      </div>
    </form>
  <//>`;
}

/** The responsible organisation reports an action's status, with the date and a short note. */
export function StatusDialog({ planId, action, onClose, onDone }) {
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  const next = NEXT_STATUS[action.status] || [];
  const submit = (e) => {
    e.preventDefault();
    const data = new FormData(form.current);
    const body = {
      status: String(data.get('status') || ''),
      status_on: String(data.get('status_on') || '') || null,
      note: String(data.get('note') || '').trim() || null,
    };
    if (!body.status) return setErrors({ status: 'Välj den nya statusen.' });
    if (body.status === 'cancelled' && !body.note) return setErrors({ note: 'Skriv varför insatsen ställs in.' });
    run(async () => {
      const changed = await api('PATCH', `/api/plans/${planId}/actions/${action.id}`, body);
      onDone(changed || { ...action, ...body });
    });
    return undefined;
  };
  return html`<${Dialog} title="Ändra status för insatsen" onClose=${onClose}>
    <p><strong>Insats:</strong> ${action.what}<br /><strong>Status nu:</strong> ${ACTION_STATUS[action.status]}</p>
    <form ref=${form} onSubmit=${submit} novalidate>
      <${ErrorSummary} errors=${errors} labels=${{ status: 'Ny status', status_on: 'Datum', note: 'Kort notering' }} />
      <${Choices} name="status" legend="Ny status" type="radio" required error=${errors.status}
        options=${next.map((s) => [s, ACTION_STATUS[s]])} />
      <${Field} name="status_on" label="Datum" type="date" defaultValue=${today()} error=${errors.status_on} />
      <${Field} name="note" label="Kort notering" multiline error=${errors.note}
        hint="Krävs när insatsen ställs in. Syns för organisationerna i planen, inte i utskriften till individen." />
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>Spara status</button>
        <button type="button" onClick=${onClose}>Avbryt</button>
      </div>
    </form>
  <//>`;
}

const DURATIONS = [['30', '30 minuter'], ['60', '1 timme'], ['90', '1,5 timmar'], ['120', '2 timmar']];

/** Books the follow-up date as a meeting with the plan's responsible people, in one step. */
export function FollowUpDialog({ plan, onClose, onDone }) {
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  const date = (plan.adopted && plan.adopted.content.follow_up_on) || today();
  const submit = (e) => {
    e.preventDefault();
    const data = new FormData(form.current);
    const day = String(data.get('date') || '');
    const time = String(data.get('time') || '');
    const local = {};
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) local.date = 'Ange mötets datum.';
    if (!/^\d{2}:\d{2}$/.test(time)) local.time = 'Ange när mötet börjar, t.ex. 09:30.';
    if (Object.keys(local).length) return setErrors(local);
    const start = new Date(`${day}T${time}`);
    const end = new Date(start.getTime() + Number(data.get('duration') || 60) * 60000);
    const text = (k) => String(data.get(k) || '').trim() || null;
    const body = { starts_at: start.toISOString(), ends_at: end.toISOString(), location: text('location'), video_link: text('video_link') };
    run(async () => {
      const meeting = await api('POST', `/api/plans/${plan.id}/follow-up-meeting`, body);
      onDone(meeting);
    });
    return undefined;
  };
  const errs = { ...errors, date: errors.date || errors.starts_at, duration: errors.duration || errors.ends_at };
  return html`<${Dialog} title="Boka uppföljningen som möte" onClose=${onClose}>
    <p>Mötet bokas med de ansvariga personerna i planen, som får en kalenderinbjudan.</p>
    <form ref=${form} onSubmit=${submit} novalidate>
      <${ErrorSummary} errors=${errs} labels=${{ date: 'Datum', time: 'Starttid', duration: 'Längd', location: 'Plats', video_link: 'Videolänk', starts_at: 'Datum', ends_at: 'Längd' }} />
      <div class="field-row">
        <${Field} name="date" label="Datum" type="date" required defaultValue=${date} error=${errs.date} />
        <${Field} name="time" label="Starttid" type="time" required defaultValue="10:00" error=${errs.time} />
        <${Select} name="duration" label="Längd" options=${DURATIONS} selected="60" error=${errs.duration} />
      </div>
      <${Field} name="location" label="Plats" error=${errors.location} hint="Platsen står i kalenderinbjudan: skriv inget om individen." />
      <${Field} name="video_link" label="Videolänk" error=${errors.video_link} inputmode="url" hint="Börjar med https://. Ange plats, videolänk eller båda." />
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>Boka mötet</button>
        <button type="button" onClick=${onClose}>Avbryt</button>
      </div>
    </form>
  <//>`;
}

/** Asks before a step that cannot be undone (discard, close). */
export function ConfirmDialog({ title, text, confirm, onClose, onConfirm }) {
  const { errors, busy, run } = useForm();
  return html`<${Dialog} title=${title} onClose=${onClose}>
    <p>${text}</p>
    <${ErrorSummary} errors=${errors} />
    <div class="actions">
      <button class="primary" type="button" disabled=${busy} onClick=${() => run(onConfirm)}>${confirm}</button>
      <button type="button" onClick=${onClose}>Avbryt</button>
    </div>
  <//>`;
}
