import { html, useState, useRef, useEffect } from '../lib.js';
import { api } from '../api.js';
import {
  Field, Choices, ErrorSummary, Dialog, useForm, useTitle, useLoad, useLive, Loading, LoadError, announce, all,
  organisations, PURPOSES, FORMS, CONSENT_STATUS, STATES, fmt, fmtDate, fmtPnr,
} from '../ui.js';
import { CaseMeetings } from './meetings.js';
import { Responsibility, closeText } from './case-responsibility.js';
import { CaseSipCalls } from './sip.js';
import { CasePlans } from './plan.js';
import { CaseFinsam } from './finsam.js';
import { CaseFordjupad } from './fordjupad-case.js';

async function loadCase(id, user, background) {
  const opts = { background };
  const c = await api('GET', `/api/cases/${id}`, undefined, opts);
  const owner = c.owner_organisation_id === user.organisation_id;
  const [consents, inquiries, messages, meetings, orgs, history, plans] = await Promise.all([
    api('GET', `/api/cases/${id}/consents`, undefined, opts),
    api('GET', `/api/inquiries?box=${owner ? 'outbox' : 'inbox'}&case_id=${id}`, undefined, opts).catch(() => ({ items: [] })),
    api('GET', `/api/cases/${id}/messages?limit=200`, undefined, opts).catch(() => null),
    api('GET', `/api/cases/${id}/meetings?include_cancelled=true&limit=200`, undefined, opts).catch(() => ({ items: [] })),
    organisations(),
    api('GET', `/api/cases/${id}/responsibility`, undefined, opts).catch(() => []),
    api('GET', `/api/cases/${id}/plans`, undefined, opts).catch(() => ({ items: [] })),
  ]);
  return {
    c, owner, consents: consents.items || consents, inquiries: inquiries.items, messages, meetings: meetings.items, orgs, history, plans: plans.items,
  };
}

export function CasePage({ user, id }) {
  const [{ loading, data, error }, reload] = useLoad((background) => loadCase(id, user, background), [id]);
  const [revoked, setRevoked] = useState(false);
  useTitle(data ? `Ärende: ${data.c.individual_name}` : 'Ärende');
  useLive((e) => {
    if (e.case_id !== id) return;
    if (e.type === 'access_revoked') {
      setRevoked(true);
      announce('Samtycket gäller inte längre. Ärendet delas inte med din organisation.');
    }
    if (e.type === 'message.created') announce('Ett nytt meddelande har kommit i ärendet.');
    reload(true);
  }, [id]);
  if (loading) return html`<h1 tabindex="-1">Ärende</h1><${Loading} />`;
  if (error) {
    return html`<h1 tabindex="-1">Ärende</h1>
      ${revoked && html`<div class="notice" role="status"><p>Samtycket som delade ärendet med din organisation gäller inte längre.</p></div>`}
      <${LoadError} error=${error} /><p><a href="#/arenden">Till ärendelistan</a></p>`;
  }
  const { c, owner, consents, inquiries, messages, meetings, orgs, history, plans } = data;
  const orgName = (oid) => (orgs.find((o) => o.id === oid) || {}).name || oid;
  return html`<h1 tabindex="-1">Ärende: ${c.individual_name}</h1>
    <dl class="facts">
      <dt>Personnummer</dt><dd>${fmtPnr(c.personnummer)}${c.protected_identity ? ' (skyddade personuppgifter)' : ''}</dd>
      <dt>Ärende</dt><dd>${c.title}</dd>
      <dt>Ägs av</dt><dd>${c.owner_organisation_name}</dd>
      <dt>Ansvarig</dt><dd>${c.responsible_user_name}</dd>
      <dt>Status</dt><dd id="arendestatus">${c.status === 'open' ? 'Öppet' : `Avslutat. ${closeText(c)}`}</dd>
      ${!owner && html`<dt>Varför jag ser ärendet</dt><dd>Ett samtycke som omfattar min organisation</dd>`}
    </dl>
    <${Responsibility} c=${c} owner=${owner} history=${history} user=${user} reload=${reload} />
    <${Consents} caseId=${id} owner=${owner} consents=${consents} orgs=${orgs} orgName=${orgName} user=${user} reload=${reload} />
    <${CasePlans} caseId=${id} owner=${owner} plans=${plans} user=${user} />
    <${CaseFordjupad} caseId=${id} owner=${owner} plans=${plans} user=${user}
      shared=${consents.some((k) => k.in_force && k.purposes.includes('fordjupad_samverkan') && k.organisation_ids.includes(user.organisation_id))} />
    <${Inquiries} caseId=${id} owner=${owner} inquiries=${inquiries} user=${user} />
    <${CaseSipCalls} caseId=${id} owner=${owner} user=${user} />
    <${CaseFinsam} caseId=${id} owner=${owner} user=${user} />
    <${CaseMeetings} caseId=${id} meetings=${meetings} user=${user} />
    <${Messages} caseId=${id} messages=${messages} reload=${reload} />`;
}

function consentState(k) {
  if (k.status !== 'active') return CONSENT_STATUS[k.status];
  return k.in_force ? 'Aktivt, gäller nu' : 'Aktivt, men inte inom giltighetstiden';
}

/**
 * A consent another organisation recorded naming mine, in force, that my organisation has not
 * yet recorded for its own part: it lifts only the recorder's secrecy until we do.
 */
function confirmable(k, consents, user) {
  const mine = user.organisation_id;
  return k.recorded_by_organisation_id !== mine && k.in_force && k.organisation_ids.includes(mine)
    && !consents.some((c) => c.confirms_consent_id === k.id && c.recorded_by_organisation_id === mine && c.status === 'active');
}

function Consents({ caseId, owner, consents, orgs, orgName, user, reload }) {
  const [adding, setAdding] = useState(false);
  const [changing, setChanging] = useState(null);
  const [confirmError, setConfirmError] = useState(null);
  const confirm = async (k) => {
    setConfirmError(null);
    try {
      await api('POST', `/api/consents/${k.id}/confirm`, {});
      reload();
      announce('Samtycket är registrerat för er del. Det gäller nu även det er organisation har om personen.');
    } catch (e) {
      setConfirmError(e.fields.case_id || e.message);
    }
  };
  const heading = useRef(null);
  const closeForm = () => {
    setAdding(false);
    setTimeout(() => heading.current && heading.current.focus(), 0);
  };
  return html`<section aria-labelledby="samtycken-rubrik">
    <h2 id="samtycken-rubrik" tabindex="-1" ref=${heading}>Samtycken</h2>
    ${consents.length === 0 && html`<p class="empty">Inga samtycken är registrerade. Utan samtycke kan inget delas med andra organisationer.</p>`}
    ${consents.length > 0 && html`<table>
      <caption class="sr-only">Samtycken för individen</caption>
      <thead><tr><th scope="col">Organisationer</th><th scope="col">Ändamål</th><th scope="col">Form</th><th scope="col">Giltigt</th><th scope="col">Status</th><th scope="col"><span class="sr-only">Åtgärder</span></th></tr></thead>
      <tbody>${consents.map((k) => html`<tr>
        <td><ul class="plain">${k.organisation_ids.map((o) => html`<li>${orgName(o)}</li>`)}</ul></td>
        <td>${k.purposes.map((p) => PURPOSES[p]).join(', ')}</td>
        <td>${k.forms.map((f) => FORMS[f]).join(', ')}${k.document_reference ? html`<br />${k.document_reference}` : ''}</td>
        <td>${fmtDate(k.valid_from)} – ${fmtDate(k.valid_until)}</td>
        <td>${consentState(k)}${k.status_change && k.status_change.reason ? html`<br /><span class="hint">Skäl: ${k.status_change.reason}</span>` : ''}
          <br /><span class="hint">Registrerat av ${orgName(k.recorded_by_organisation_id)}${k.confirms_consent_id ? ' för sin del' : ''}</span></td>
        <td>${k.status === 'active' && html`<div class="row-actions">
          ${confirmable(k, consents, user) && html`<button type="button" onClick=${() => confirm(k)}>Registrera samma samtycke för vår del<span class="sr-only"> (samtycket från ${fmtDate(k.valid_from)})</span></button>`}
          <button type="button" onClick=${() => setChanging({ consent: k, kind: 'end' })}>Återkalla<span class="sr-only"> samtycket från ${fmtDate(k.valid_from)}</span></button>
          ${k.recorded_by_organisation_id === user.organisation_id && html`<button type="button" onClick=${() => setChanging({ consent: k, kind: 'annul' })}>Makulera<span class="sr-only"> samtycket från ${fmtDate(k.valid_from)}</span></button>`}
        </div>`}</td>
      </tr>`)}</tbody>
    </table>`}
    ${confirmError && html`<div class="error-summary" role="alert"><p>Samtycket kunde inte registreras för er del: ${confirmError}.</p></div>`}
    ${owner && !adding && html`<p><button type="button" onClick=${() => setAdding(true)}>Registrera samtycke</button></p>`}
    ${owner && adding && html`<${ConsentForm} caseId=${caseId} orgs=${orgs} user=${user}
      onDone=${() => { closeForm(); reload(); announce('Samtycket är registrerat.'); }} onCancel=${closeForm} />`}
    ${changing && html`<${ChangeConsentDialog} change=${changing} onClose=${() => setChanging(null)}
      onDone=${() => { setChanging(null); reload(); announce(changing.kind === 'end' ? 'Samtycket är återkallat.' : 'Samtycket är makulerat.'); }} />`}
  </section>`;
}

function plusMonths(months) {
  const d = new Date();
  d.setMonth(d.getMonth() + months);
  return d.toISOString().slice(0, 10);
}

function ConsentForm({ caseId, orgs, user, onDone, onCancel }) {
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  const others = orgs.filter((o) => o.id !== user.organisation_id);
  const heading = useRef(null);
  useEffect(() => heading.current && heading.current.focus(), []);
  const submit = (e) => {
    e.preventDefault();
    const f = form.current;
    const data = new FormData(f);
    const body = {
      organisation_ids: all(f, 'organisation_ids'),
      purposes: all(f, 'purposes'),
      forms: all(f, 'forms'),
      document_reference: String(data.get('document_reference') || '').trim() || null,
      valid_until: data.get('valid_until') ? `${data.get('valid_until')}T23:59:59Z` : '',
    };
    const local = {};
    if (!body.organisation_ids.length) local.organisation_ids = 'Välj minst en organisation som samtycket omfattar.';
    if (!body.purposes.length) local.purposes = 'Välj minst ett ändamål.';
    if (!body.forms.length) local.forms = 'Välj hur samtycket lämnades.';
    if (body.forms.includes('skriftligt') && !body.document_reference) local.document_reference = 'Ange var det skriftliga samtycket finns.';
    if (!body.valid_until) local.valid_until = 'Ange till och med vilket datum samtycket gäller.';
    if (Object.keys(local).length) return setErrors(local);
    run(async () => {
      await api('POST', `/api/cases/${caseId}/consents`, body);
      onDone();
    });
    return undefined;
  };
  const labels = { organisation_ids: 'Organisationer', purposes: 'Ändamål', forms: 'Form', document_reference: 'Dokumentreferens', valid_until: 'Giltigt till och med' };
  return html`<form ref=${form} onSubmit=${submit} novalidate class="panel" aria-labelledby="nytt-samtycke">
    <h3 id="nytt-samtycke" tabindex="-1" ref=${heading}>Registrera samtycke</h3>
    <${ErrorSummary} errors=${errors} labels=${labels} />
    <${Choices} name="organisation_ids" legend="Organisationer som får dela uppgifter med oss" required error=${errors.organisation_ids}
      hint="Din egen organisation ingår alltid." options=${others.map((o) => [o.id, o.name])} />
    <${Choices} name="purposes" legend="Ändamål" required error=${errors.purposes} options=${Object.entries(PURPOSES)} />
    <${Choices} name="forms" legend="Hur lämnades samtycket?" required error=${errors.forms} options=${Object.entries(FORMS)} />
    <${Field} name="document_reference" label="Dokumentreferens" hint="Krävs för skriftligt samtycke, t.ex. blankettens nummer." error=${errors.document_reference} />
    <${Field} name="valid_until" label="Giltigt till och med" type="date" required defaultValue=${plusMonths(6)} hint="Högst ett år framåt." error=${errors.valid_until} />
    <div class="actions">
      <button class="primary" type="submit" disabled=${busy}>Spara samtycke</button>
      <button type="button" onClick=${onCancel}>Avbryt</button>
    </div>
  </form>`;
}

function ChangeConsentDialog({ change, onClose, onDone }) {
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  const end = change.kind === 'end';
  const submit = (e) => {
    e.preventDefault();
    const reason = String(new FormData(form.current).get('reason') || '').trim();
    if (!reason) return setErrors({ reason: end ? 'Ange varför samtycket återkallas.' : 'Ange varför samtycket makuleras.' });
    run(async () => {
      await api('POST', `/api/consents/${change.consent.id}/${end ? 'end' : 'annul'}`, { reason });
      onDone();
    });
    return undefined;
  };
  return html`<${Dialog} title=${end ? 'Återkalla samtycke' : 'Makulera samtycke'} onClose=${onClose}>
    <p>${end
      ? 'Individen har återkallat sitt samtycke. Det slutar gälla direkt, och de andra organisationerna ser inte längre det som delats.'
      : 'Makulera ett samtycke som registrerades av misstag. Det slutar gälla direkt.'}</p>
    <form ref=${form} onSubmit=${submit} novalidate>
      <${ErrorSummary} errors=${errors} labels=${{ reason: 'Skäl' }} />
      <${Field} name="reason" label="Skäl" multiline required error=${errors.reason} />
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>${end ? 'Återkalla samtycket' : 'Makulera samtycket'}</button>
        <button type="button" onClick=${onClose}>Avbryt</button>
      </div>
    </form>
  <//>`;
}

function Inquiries({ caseId, owner, inquiries, user }) {
  const canWrite = owner && user.roles.some((r) => ['socialsekreterare', 'rehabansvarig', 'bitradande_enhetschef'].includes(r));
  return html`<section aria-labelledby="forfragningar-rubrik">
    <h2 id="forfragningar-rubrik">Rehabiliteringsförfrågningar</h2>
    ${inquiries.length === 0 && html`<p class="empty">Inga förfrågningar i ärendet.</p>`}
    ${inquiries.length > 0 && html`<ul class="cards" id="arendets-forfragningar">${inquiries.map((q) => html`<li>
      <a href=${`#/forfragningar/${q.id}`}>Förfrågan till ${q.recipient_organisation_name}${q.sent_at ? `, skickad ${fmt(q.sent_at)}` : ''}</a>
      ${' – '}<span class="state" data-state=${q.state}>${STATES[q.state]}</span>
      ${q.overdue ? html` <span class="flag">Försenad</span>` : ''}
      <span class="hint">. Svar senast ${fmtDate(q.answer_by)}.</span>
    </li>`)}</ul>`}
    ${canWrite && html`<p><a class="button" href=${`#/arenden/${caseId}/forfragan/ny`}>Skriv rehabiliteringsförfrågan</a></p>`}
  </section>`;
}

function Messages({ caseId, messages, reload }) {
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  if (!messages) return null;
  const submit = (e) => {
    e.preventDefault();
    const body = String(new FormData(form.current).get('body') || '').trim();
    if (!body) return setErrors({ body: 'Skriv ett meddelande.' });
    run(async () => {
      await api('POST', `/api/cases/${caseId}/messages`, { body });
      form.current.reset();
      reload();
      announce('Meddelandet är skickat.');
    });
    return undefined;
  };
  return html`<section aria-labelledby="meddelanden-rubrik">
    <h2 id="meddelanden-rubrik">Meddelanden</h2>
    ${messages.items.length === 0 && html`<p class="empty">Inga meddelanden ännu.</p>`}
    <ol class="thread" id="meddelanden">${messages.items.map((m) => html`<li>
      <p class="meta"><strong>${m.author_name}</strong>, ${m.author_organisation_name} – ${fmt(m.created_at)}</p>
      <p class="body">${m.body}</p>
    </li>`)}</ol>
    <form ref=${form} onSubmit=${submit} novalidate>
      <${ErrorSummary} errors=${errors} labels=${{ body: 'Meddelande' }} />
      <${Field} name="body" label="Nytt meddelande" multiline required error=${errors.body}
        hint="Meddelandet syns för alla organisationer som får se ärendet." />
      <button class="primary" type="submit" disabled=${busy}>Skicka meddelande</button>
    </form>
  </section>`;
}
