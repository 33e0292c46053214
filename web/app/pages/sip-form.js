// Calling a SIP (kallelse till SIP) from a case: the purpose and questions, proposed times,
// the organisations called (obliged or optional, from their kind), people without an account
// who come (the individual, relatives) and the day the individual asked for a SIP. Whether a
// consent for SIP covers each called organisation the API decides (409 consent_missing),
// and that refusal is shown on the organisations field.

import { html, useRef } from '../lib.js';
import { api, ApiError } from '../api.js';
import {
  Field, Select, ErrorSummary, useForm, useTitle, useLoad, Loading, LoadError, all, organisations, fieldId,
} from '../ui.js';

/** The municipality's and the region's units must come when called (SoL 2:7, HSL 16:4). */
const OBLIGED_KINDS = ['socialtjanst', 'vardcentral', 'psykiatri'];
export const obligationOf = (kind) => (OBLIGED_KINDS.includes(kind) ? 'obliged' : 'optional');
export const OBLIGATIONS = { obliged: 'skyldig att delta', optional: 'frivillig att delta' };
export const ATTENDEE_ROLES = { individual: 'Individen', relative: 'Närstående', other: 'Annan' };

const LENGTHS = [['60', '1 timme'], ['90', '1,5 timmar'], ['120', '2 timmar']];
const TIMES = [0, 1];
const PEOPLE = [0, 1, 2];

const pad = (n) => String(n).padStart(2, '0');
export const localDate = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

/** Start and end as RFC 3339 from a date, a start time and a length in minutes. */
export function slotOf(date, time, minutes) {
  const start = new Date(`${date}T${time}`);
  if (Number.isNaN(start.getTime())) return null;
  return { starts_at: start.toISOString(), ends_at: new Date(start.getTime() + Number(minutes || 60) * 60000).toISOString() };
}

export const SIP_LABELS = {
  purpose_text: 'Syfte', questions: 'Frågor', organisation_ids: 'Kallade organisationer',
  requested_by_individual_on: 'Individen begärde SIP', t0_date: 'Första förslaget', t1_date: 'Andra förslaget',
  a0_name: 'Person 1', a1_name: 'Person 2', a2_name: 'Person 3',
};

/** The API's field names onto this form's. */
function formErrors(err) {
  if (!(err instanceof ApiError)) throw err;
  if (err.code === 'consent_missing') {
    return new ApiError(err.status, { ...err.problem, errors: [{ field: 'organisation_ids', message: err.message }] });
  }
  const errors = (err.problem.errors || []).map((e) => {
    let field = e.field;
    const time = /^proposed_times\[(\d+)\]/.exec(field);
    const person = /^attendees\[(\d+)\]/.exec(field);
    if (field.startsWith('organisation_ids')) field = 'organisation_ids';
    else if (time) field = `t${time[1]}_date`;
    else if (person) field = `a${person[1]}_name`;
    return { ...e, field };
  });
  return new ApiError(err.status, { ...err.problem, errors });
}

async function loadForm(caseId, user) {
  const [c, orgs, consents] = await Promise.all([
    api('GET', `/api/cases/${caseId}`),
    organisations(),
    api('GET', `/api/cases/${caseId}/consents`),
  ]);
  // Organisations a consent for SIP that we recorded covers now.
  const covered = new Set();
  for (const k of consents.items || consents) {
    if (k.status === 'active' && k.in_force && k.recorded_by_organisation_id === user.organisation_id && k.purposes.includes('sip')) {
      k.organisation_ids.forEach((o) => covered.add(o));
    }
  }
  const others = orgs.filter((o) => o.id !== user.organisation_id)
    .map((o) => ({ ...o, covered: covered.has(o.id), obligation: obligationOf(o.kind) }));
  others.sort((a, b) => Number(b.covered) - Number(a.covered) || a.name.localeCompare(b.name, 'sv'));
  return { c, others };
}

/** The organisations to call, with obliged or optional and whether a consent covers them. */
function PartyPicker({ others, error }) {
  const id = fieldId('organisation_ids');
  const errId = `${id}-fel`;
  const hintId = `${id}-hint`;
  return html`<fieldset id=${id} tabindex="-1" class=${error ? 'field has-error' : 'field'} aria-describedby=${[hintId, error ? errId : null].filter(Boolean).join(' ')}>
    <legend>Kallade organisationer <span class="req">(måste fyllas i)</span></legend>
    <p class="hint" id=${hintId}>Kommunens och regionens enheter är skyldiga att delta när de kallas. Försäkringskassan,
      Arbetsförmedlingen och Jobbtorg kan bjudas in och får tacka nej. Varje kallad organisation måste omfattas av ett
      gällande samtycke för SIP som ni registrerat.</p>
    ${error && html`<p class="error" id=${errId}><span class="sr-only">Fel: </span>${error}</p>`}
    ${others.map((o, i) => html`<div class="choice">
      <input type="checkbox" id=${`${id}-${i}`} name="organisation_ids" value=${o.id} aria-describedby=${error ? errId : undefined} />
      <label for=${`${id}-${i}`}>${o.name} <span class="hint">(${OBLIGATIONS[o.obligation]}${o.covered ? '' : ', samtycke för SIP saknas'})</span></label>
    </div>`)}
  </fieldset>`;
}

/** `#/arenden/{id}/sip/ny`: a new SIP call in the case. */
export function NewSipCallPage({ user, caseId }) {
  useTitle('Kalla till SIP');
  const [{ loading, data, error }] = useLoad(() => loadForm(caseId, user), [caseId]);
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  if (loading) return html`<h1 tabindex="-1">Kalla till SIP</h1><${Loading} />`;
  if (error) return html`<h1 tabindex="-1">Kalla till SIP</h1><${LoadError} error=${error} />`;
  const submit = (e) => {
    e.preventDefault();
    const f = form.current;
    const d = new FormData(f);
    const text = (k) => String(d.get(k) || '').trim();
    const local = {};
    if (!text('purpose_text')) local.purpose_text = 'Beskriv syftet med SIP-mötet.';
    if (!text('questions')) local.questions = 'Skriv vilka frågor mötet ska besvara.';
    const organisationIds = all(f, 'organisation_ids');
    if (!organisationIds.length) local.organisation_ids = 'Välj minst en organisation att kalla.';
    const proposed = [];
    TIMES.forEach((i) => {
      const date = text(`t${i}_date`);
      const time = text(`t${i}_time`);
      if (!date && !time) return;
      const slot = date && time ? slotOf(date, time, text(`t${i}_len`)) : null;
      if (!slot) local[`t${i}_date`] = 'Ange både datum och starttid, eller lämna förslaget tomt.';
      else proposed.push(slot);
    });
    const attendees = PEOPLE.map((i) => ({ name: text(`a${i}_name`), role: text(`a${i}_role`) || 'other' }))
      .filter((a) => a.name);
    if (Object.keys(local).length) return setErrors(local);
    const body = {
      purpose_text: text('purpose_text'),
      questions: text('questions'),
      proposed_times: proposed,
      organisation_ids: organisationIds,
      attendees,
      requested_by_individual_on: text('requested_by_individual_on') || null,
    };
    run(async () => {
      let call;
      try {
        call = await api('POST', `/api/cases/${caseId}/sip-calls`, body);
      } catch (err) {
        throw formErrors(err);
      }
      location.hash = `#/sip/${call.id}`;
    });
    return undefined;
  };
  const back = `#/arenden/${caseId}`;
  return html`<h1 tabindex="-1">Kalla till SIP</h1>
    <p>Ärende: <a href=${back}>${data.c.individual_name}</a>. Kallelsen hamnar i varje kallad organisations gemensamma
      inkorg för SIP-kallelser. E-posten säger inget om vem kallelsen gäller.</p>
    <${ErrorSummary} errors=${errors} labels=${SIP_LABELS} />
    <form ref=${form} onSubmit=${submit} novalidate>
      <${Field} name="purpose_text" label="Syfte" multiline required error=${errors.purpose_text}
        hint="Varför behövs en samordnad individuell plan?" />
      <${Field} name="questions" label="Frågor" multiline required error=${errors.questions}
        hint="Vad ska mötet besvara? T.ex. vem gör vad under hösten." />
      <${PartyPicker} others=${data.others} error=${errors.organisation_ids} />
      <fieldset class="field">
        <legend>Förslag på tider (valfritt)</legend>
        ${TIMES.map((i) => html`<div class="field-row">
          <${Field} name=${`t${i}_date`} label=${i === 0 ? 'Första förslaget, datum' : 'Andra förslaget, datum'} type="date" error=${errors[`t${i}_date`]} />
          <${Field} name=${`t${i}_time`} label="Starttid" type="time" />
          <${Select} name=${`t${i}_len`} label="Längd" options=${LENGTHS} />
        </div>`)}
      </fieldset>
      <fieldset class="field">
        <legend>Personer utan konto som kommer (valfritt)</legend>
        <p class="hint">Individen och närstående, om individen vill. De får ingen e-post från Samverkan; bjud in dem på ert vanliga sätt.</p>
        ${PEOPLE.map((i) => html`<div class="field-row">
          <${Field} name=${`a${i}_name`} label=${`Person ${i + 1}, namn`} error=${errors[`a${i}_name`]} autocomplete="off" />
          <${Select} name=${`a${i}_role`} label="Roll" options=${Object.entries(ATTENDEE_ROLES)} selected=${i === 0 ? 'individual' : 'relative'} />
        </div>`)}
      </fieldset>
      <${Field} name="requested_by_individual_on" label="Individen begärde SIP (datum)" type="date" max=${localDate(new Date())}
        error=${errors.requested_by_individual_on}
        hint="Om individen själv bad om en SIP. Tiden från begäran till mötet räknas." />
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>Skicka kallelsen</button>
        <a class="button" href=${back}>Avbryt</a>
      </div>
    </form>`;
}
