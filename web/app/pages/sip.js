// SIP calls (kallelser till SIP): the call page with who has answered and who has not, the
// called organisation's answer (we come – who; another time; decline with a reason, optional
// parties only), booking the SIP meeting and cancelling; the organisation's inbox of calls
// with the menu badge; the calls in a case.

import { html, useState, useRef, useEffect } from '../lib.js';
import { api } from '../api.js';
import { subscribe } from '../live.js';
import {
  Field, Select, Choices, ErrorSummary, Dialog, useForm, useTitle, useLoad, useLive, Loading, LoadError, announce,
  all, fmt, fmtDate, fmtWhen,
} from '../ui.js';
import { OBLIGATIONS, ATTENDEE_ROLES, slotOf, localDate } from './sip-form.js';

export const CALL_STATES = { called: 'Kallad', booked: 'Mötet är bokat', held: 'Hållen, planen fastställd', cancelled: 'Inställd' };
export const SIP_ANSWERS = { pending: 'Har inte svarat', coming: 'Kommer', other_time: 'Föreslår en annan tid', declined: 'Avböjer' };
export const SIP_DECLINE_REASONS = {
  no_open_matter: 'Vi har inget pågående ärende för personen',
  not_our_questions: 'Frågorna gäller inte oss',
  other: 'Annat skäl',
};
const isSip = (e) => e.type.startsWith('sip_call.') || e.type === 'access_revoked' || e.type.startsWith('consent.');

/** Open calls to my organisation it has not answered, for the menu badge; kept current live. */
export function useSipCount(user, enabled) {
  const [count, setCount] = useState(null);
  useEffect(() => {
    if (!enabled) return undefined;
    let alive = true;
    const load = async () => {
      try {
        const c = await api('GET', '/api/sip-calls/counts', undefined, { background: true });
        if (alive) setCount(c.unanswered);
      } catch {
        // The badge waits for the next event.
      }
    };
    load();
    const off = subscribe((e) => { if (isSip(e)) load(); });
    return () => {
      alive = false;
      off();
    };
  }, [user.id, enabled]);
  return count;
}

function PartyAnswer({ p }) {
  if (p.answer === 'coming') return html`Kommer: ${p.coming_people.map((x) => x.name).join(', ')}`;
  if (p.answer === 'other_time') {
    return html`Föreslår ${p.proposed_time ? fmtWhen(p.proposed_time.starts_at, p.proposed_time.ends_at) : 'en annan tid'}${p.coming_people.length ? html`. Kommer då: ${p.coming_people.map((x) => x.name).join(', ')}` : ''}`;
  }
  if (p.answer === 'declined') return html`Avböjer: ${SIP_DECLINE_REASONS[p.decline_reason]}`;
  return html`<strong>Har inte svarat</strong>${p.chased_at ? html` <span class="flag">Påmind ${fmtDate(p.chased_at)}</span>` : ''}`;
}

/** `#/sip/{id}`: the call, who has answered what, and what I may do. */
export function SipCallPage({ user, id }) {
  const [{ loading, data, error }, reload] = useLoad((background) => api('GET', `/api/sip-calls/${id}`, undefined, { background }), [id]);
  const [dialog, setDialog] = useState(null);
  useTitle('Kallelse till SIP');
  useLive((e) => {
    if (e.subject_id === id && e.type === 'sip_call.answered') announce('En kallad organisation har svarat på kallelsen.');
    if (e.subject_id === id || isSip(e)) reload(true);
  }, [id]);
  if (loading) return html`<h1 tabindex="-1">Kallelse till SIP</h1><${Loading} />`;
  if (error) return html`<h1 tabindex="-1">Kallelse till SIP</h1><${LoadError} error=${error} /><p><a href="#/sip-kallelser">Till SIP-kallelserna</a></p>`;
  const call = data;
  const mine = call.parties.find((p) => p.organisation_id === user.organisation_id);
  const pending = call.parties.filter((p) => p.answer === 'pending');
  const done = (text) => { setDialog(null); reload(); announce(text); };
  return html`<h1 tabindex="-1">Kallelse till SIP: ${call.individual_name}</h1>
    <dl class="facts">
      <dt>Status</dt><dd id="sip-status">${CALL_STATES[call.state]}</dd>
      <dt>Kallad av</dt><dd>${call.caller_user_name}, ${call.caller_organisation_name}, ${fmt(call.called_at)}</dd>
      <dt>Ärende</dt><dd><a href=${`#/arenden/${call.case_id}`}>Till ärendet</a></dd>
      <dt>Syfte</dt><dd class="body">${call.purpose_text}</dd>
      <dt>Frågor</dt><dd class="body">${call.questions}</dd>
      <dt>Föreslagna tider</dt><dd>${call.proposed_times.length
        ? html`<ul class="plain">${call.proposed_times.map((t) => html`<li>${fmtWhen(t.starts_at, t.ends_at)}</li>`)}</ul>` : 'Inga'}</dd>
      <dt>Kommer utan konto</dt><dd>${call.attendees.length
        ? html`<ul class="plain">${call.attendees.map((a) => html`<li>${a.name} (${ATTENDEE_ROLES[a.role]})</li>`)}</ul>` : 'Ingen'}</dd>
      <dt>Individen begärde SIP</dt><dd>${call.requested_by_individual_on ? fmtDate(call.requested_by_individual_on) : 'Nej'}${call.days_from_request !== null ? ` (${call.days_from_request} dagar till mötet)` : ''}</dd>
      ${call.meeting_id && html`<dt>SIP-möte</dt><dd><a href=${`#/moten/${call.meeting_id}`}>Till mötet</a></dd>`}
    </dl>
    <section aria-labelledby="svar-rubrik">
      <h2 id="svar-rubrik">Svar från de kallade</h2>
      <p id="ej-svarat" aria-live="polite">${pending.length
        ? `Har inte svarat: ${pending.map((p) => p.organisation_name).join(', ')}.`
        : 'Alla kallade har svarat.'}</p>
      <table id="sip-parter">
        <caption class="sr-only">Kallade organisationer och deras svar</caption>
        <thead><tr><th scope="col">Organisation</th><th scope="col">Deltagande</th><th scope="col">Svar</th><th scope="col">Besvarad</th></tr></thead>
        <tbody>${call.parties.map((p) => html`<tr data-answer=${p.answer}>
          <td>${p.organisation_name}</td><td>${OBLIGATIONS[p.obligation]}</td>
          <td><${PartyAnswer} p=${p} />${p.text ? html`<br /><span class="hint">${p.text}</span>` : ''}</td>
          <td>${fmt(p.answered_at)}</td>
        </tr>`)}</tbody>
      </table>
    </section>
    <div class="actions">
      ${call.may.answer && html`<button type="button" class="primary" onClick=${() => setDialog('answer')}>${mine && mine.answer !== 'pending' ? 'Ändra vårt svar' : 'Svara på kallelsen'}</button>`}
      ${call.may.book && html`<button type="button" class="primary" onClick=${() => setDialog('book')}>Boka SIP-mötet</button>`}
      ${call.may.cancel && html`<button type="button" onClick=${() => setDialog('cancel')}>Ställ in kallelsen</button>`}
    </div>
    ${dialog === 'answer' && html`<${AnswerDialog} call=${call} party=${mine} user=${user} onClose=${() => setDialog(null)} onDone=${() => done('Ert svar är skickat.')} />`}
    ${dialog === 'book' && html`<${BookDialog} call=${call} onClose=${() => setDialog(null)} onDone=${() => done('SIP-mötet är bokat och inbjudningarna är skickade.')} />`}
    ${dialog === 'cancel' && html`<${CancelDialog} call=${call} onClose=${() => setDialog(null)} onDone=${() => done('Kallelsen är inställd.')} />`}`;
}

const ANSWER_LABELS = {
  answer: 'Svar', coming: 'Vilka kommer', proposed_date: 'Datum', proposed_time: 'Starttid', decline_reason: 'Skäl', text: 'Kommentar',
};

/** The answer of a called organisation: we come (who), another time, or decline (optional only). */
function AnswerDialog({ call, party, user, onClose, onDone }) {
  const { errors, setErrors, busy, run } = useForm();
  const [answer, setAnswer] = useState(party && party.answer !== 'pending' ? party.answer : 'coming');
  const [people, setPeople] = useState(null);
  const form = useRef(null);
  useEffect(() => {
    api('GET', `/api/organisations/${user.organisation_id}/people`).then(setPeople).catch(() => setPeople([]));
  }, []);
  const options = Object.entries(SIP_ANSWERS).filter(([k]) => k !== 'pending' && (k !== 'declined' || party.obligation === 'optional'));
  const submit = (e) => {
    e.preventDefault();
    const f = form.current;
    const d = new FormData(f);
    const text = (k) => String(d.get(k) || '').trim();
    const body = { answer, coming: answer === 'declined' ? [] : all(f, 'coming'), text: text('text') || null };
    const local = {};
    if (answer === 'coming' && !body.coming.length) local.coming = 'Välj vilka som kommer.';
    if (answer === 'other_time') {
      const slot = text('proposed_date') && text('proposed_time') ? slotOf(text('proposed_date'), text('proposed_time'), 60) : null;
      if (!slot) local.proposed_date = 'Ange datum och starttid för er föreslagna tid.';
      body.proposed_time = slot;
    }
    if (answer === 'declined') {
      body.decline_reason = text('decline_reason');
      if (body.decline_reason === 'other' && !body.text) local.text = 'Beskriv skälet när det är Annat skäl.';
    }
    if (Object.keys(local).length) return setErrors(local);
    run(async () => {
      try {
        await api('POST', `/api/sip-calls/${call.id}/answer`, body);
      } catch (err) {
        if (err.fields && err.fields.proposed_time) err.fields.proposed_date = err.fields.proposed_time;
        Object.keys(err.fields || {}).filter((k) => k.startsWith('coming[') || k.startsWith('proposed_time.')).forEach((k) => {
          err.fields[k.startsWith('coming') ? 'coming' : 'proposed_date'] = err.fields[k];
        });
        throw err;
      }
      onDone();
    });
    return undefined;
  };
  const mineComing = party ? party.coming : [];
  return html`<${Dialog} title="Svara på kallelsen till SIP" onClose=${onClose}>
    <p>Er organisation är ${OBLIGATIONS[party.obligation]}.${party.obligation === 'obliged' ? ' Ni kan föreslå en annan tid men inte avböja.' : ''}</p>
    <form ref=${form} onSubmit=${submit} novalidate>
      <${ErrorSummary} errors=${errors} labels=${ANSWER_LABELS} />
      <fieldset class="field" id="f-answer" tabindex="-1">
        <legend>Svar <span class="req">(måste fyllas i)</span></legend>
        ${options.map(([value, label], i) => html`<div class="choice">
          <input type="radio" id=${`f-answer-${i}`} name="answer" value=${value} checked=${answer === value} onChange=${() => setAnswer(value)} />
          <label for=${`f-answer-${i}`}>${value === 'coming' ? 'Vi kommer' : value === 'other_time' ? 'Vi föreslår en annan tid' : 'Vi avböjer'}</label>
        </div>`)}
        ${errors.answer && html`<p class="error"><span class="sr-only">Fel: </span>${errors.answer}</p>`}
      </fieldset>
      ${answer !== 'declined' && (people === null ? html`<${Loading} />` : html`<${Choices} name="coming" legend=${answer === 'coming' ? 'Vilka kommer' : 'Vilka kommer vid den tiden (valfritt)'}
        required=${answer === 'coming'} error=${errors.coming} checked=${mineComing}
        options=${people.map((p) => [p.id, p.id === user.id ? `${p.display_name} (jag)` : p.display_name])} />`)}
      ${answer === 'other_time' && html`<div class="field-row">
        <${Field} name="proposed_date" label="Datum" type="date" required error=${errors.proposed_date} />
        <${Field} name="proposed_time" label="Starttid" type="time" required />
      </div>`}
      ${answer === 'declined' && html`<${Select} name="decline_reason" label="Skäl" required error=${errors.decline_reason}
        options=${Object.entries(SIP_DECLINE_REASONS)} />`}
      <${Field} name="text" label="Kommentar" multiline error=${errors.text} hint="Syns för alla som ser kallelsen." />
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>Skicka svaret</button>
        <button type="button" onClick=${onClose}>Avbryt</button>
      </div>
    </form>
  <//>`;
}

/** Books the SIP meeting: the people who said they come are invited with a calendar invitation. */
function BookDialog({ call, onClose, onDone }) {
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  const first = call.proposed_times[0] ? new Date(call.proposed_times[0].starts_at) : new Date(Date.now() + 7 * 86400000);
  const pad = (n) => String(n).padStart(2, '0');
  const submit = (e) => {
    e.preventDefault();
    const d = new FormData(form.current);
    const text = (k) => String(d.get(k) || '').trim();
    const local = {};
    const slot = text('date') && text('time') ? slotOf(text('date'), text('time'), text('length')) : null;
    if (!slot) local.date = 'Ange datum och starttid.';
    if (!text('location')) local.location = 'Ange var mötet hålls.';
    if (Object.keys(local).length) return setErrors(local);
    run(async () => {
      try {
        await api('POST', `/api/sip-calls/${call.id}/book`, { ...slot, location: text('location') });
      } catch (err) {
        if (err.fields) {
          if (err.fields.starts_at || err.fields.ends_at) err.fields.date = err.fields.starts_at || err.fields.ends_at;
          if (err.fields.coming) err.fields._ = err.fields.coming;
        }
        throw err;
      }
      onDone();
    });
    return undefined;
  };
  const coming = call.parties.filter((p) => p.answer === 'coming').flatMap((p) => p.coming_people.map((x) => x.name));
  return html`<${Dialog} title="Boka SIP-mötet" onClose=${onClose}>
    <p>${coming.length ? `Inbjudan med kalenderinbjudan går till: ${coming.join(', ')}.` : 'Ingen kallad har ännu sagt att de kommer.'}
      E-posten säger inget om vem mötet gäller.</p>
    <form ref=${form} onSubmit=${submit} novalidate>
      <${ErrorSummary} errors=${errors} labels=${{ date: 'Datum', location: 'Plats' }} />
      <div class="field-row">
        <${Field} name="date" label="Datum" type="date" required defaultValue=${localDate(first)} error=${errors.date} />
        <${Field} name="time" label="Starttid" type="time" required defaultValue=${`${pad(first.getHours())}:${pad(first.getMinutes())}`} />
        <${Select} name="length" label="Längd" options=${[['60', '1 timme'], ['90', '1,5 timmar'], ['120', '2 timmar']]} selected="90" />
      </div>
      <${Field} name="location" label="Plats" required error=${errors.location} hint="Platsen står i kalenderinbjudan: skriv inget om individen." />
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>Boka mötet</button>
        <button type="button" onClick=${onClose}>Avbryt</button>
      </div>
    </form>
  <//>`;
}

function CancelDialog({ call, onClose, onDone }) {
  const { errors, busy, run } = useForm();
  const cancel = () => run(async () => {
    await api('POST', `/api/sip-calls/${call.id}/cancel`);
    onDone();
  });
  return html`<${Dialog} title="Ställ in kallelsen" onClose=${onClose}>
    <p>De kallade organisationerna får veta att kallelsen är inställd.${call.meeting_id ? ' Det bokade SIP-mötet ställs också in.' : ''}</p>
    <${ErrorSummary} errors=${errors} />
    <div class="actions">
      <button type="button" class="primary" disabled=${busy} onClick=${cancel}>Ställ in kallelsen</button>
      <button type="button" onClick=${onClose}>Behåll kallelsen</button>
    </div>
  <//>`;
}

/** `#/sip-kallelser`: calls to my organisation (its inbox) and calls it made. */
export function SipInboxPage({ user }) {
  useTitle('SIP-kallelser');
  const [box, setBox] = useState('inbox');
  const [{ loading, data, error }, reload] = useLoad(async (background) => {
    const [list, counts] = await Promise.all([
      api('GET', `/api/sip-calls?box=${box}&limit=200`, undefined, { background }),
      api('GET', '/api/sip-calls/counts', undefined, { background }),
    ]);
    return { list, counts };
  }, [box]);
  useLive((e) => { if (isSip(e)) reload(true); }, [box]);
  const inbox = box === 'inbox';
  return html`<h1 tabindex="-1">SIP-kallelser</h1>
    ${data && html`<ul class="counters" id="sip-raknare" aria-live="polite" aria-atomic="true">
      <li><span class="count" id="antal-obesvarade">${data.counts.unanswered}</span> obesvarade kallelser till oss</li>
    </ul>`}
    <div class="filters" role="group" aria-label="Visa">
      <button type="button" aria-pressed=${inbox ? 'true' : 'false'} onClick=${() => setBox('inbox')}>Till oss</button>
      <button type="button" aria-pressed=${inbox ? 'false' : 'true'} onClick=${() => setBox('sent')}>Skickade av oss</button>
    </div>
    ${loading && html`<${Loading} />`}
    ${error && html`<${LoadError} error=${error} />`}
    ${data && data.list.items.length === 0 && html`<p class="empty" role="status">Inga kallelser att visa.</p>`}
    ${data && data.list.items.length > 0 && html`<table id=${inbox ? 'sip-inkorg' : 'sip-skickade'}>
      <caption class="sr-only">${inbox ? 'Kallelser till oss' : 'Kallelser vi skickat'}</caption>
      <thead><tr><th scope="col">Individ</th><th scope="col">${inbox ? 'Från' : 'Kallade'}</th><th scope="col">Kallad</th><th scope="col">Status</th><th scope="col">${inbox ? 'Vårt svar' : 'Har inte svarat'}</th></tr></thead>
      <tbody>${data.list.items.map((c) => {
        const mine = c.parties.find((p) => p.organisation_id === user.organisation_id);
        return html`<tr class=${inbox && mine && mine.answer === 'pending' ? 'unread' : ''}>
          <td><a href=${`#/sip/${c.id}`}>${c.individual_name}</a></td>
          <td>${inbox ? c.caller_organisation_name : c.parties.map((p) => p.organisation_name).join(', ')}</td>
          <td>${fmtDate(c.called_at)}</td><td>${CALL_STATES[c.state]}</td>
          <td>${inbox ? (mine ? SIP_ANSWERS[mine.answer] : '–') : (c.parties.filter((p) => p.answer === 'pending').map((p) => p.organisation_name).join(', ') || 'Alla har svarat')}</td>
        </tr>`;
      })}</tbody>
    </table>`}`;
}

/** The calls in a case, on the case page; the owner's caseworkers call from here. */
export function CaseSipCalls({ caseId, owner, user }) {
  const [{ data }, reload] = useLoad((background) => api('GET', `/api/cases/${caseId}/sip-calls`, undefined, { background }).catch(() => ({ items: [] })), [caseId]);
  useLive((e) => { if (e.case_id === caseId && isSip(e)) reload(true); }, [caseId]);
  const calls = data ? data.items : [];
  const mayCall = owner && user.roles.some((r) => r !== 'org_admin');
  return html`<section aria-labelledby="sip-rubrik">
    <h2 id="sip-rubrik">SIP</h2>
    ${calls.length === 0 && html`<p class="empty">Ingen kallelse till SIP i ärendet.</p>`}
    ${calls.length > 0 && html`<ul class="cards" id="arendets-sip">${calls.map((c) => html`<li>
      <a href=${`#/sip/${c.id}`}>Kallelse till SIP, ${fmt(c.called_at)}</a>${' – '}${CALL_STATES[c.state]}
      ${c.not_answered.length > 0 && html`<span class="hint">. ${c.not_answered.length} har inte svarat.</span>`}
    </li>`)}</ul>`}
    ${mayCall && html`<p><a class="button" href=${`#/arenden/${caseId}/sip/ny`}>Kalla till SIP</a></p>`}
  </section>`;
}
