import { html, useState, useRef, useEffect } from '../lib.js';
import { api, ApiError } from '../api.js';
import {
  Field, Select, Choices, ErrorSummary, Dialog, useForm, useTitle, useLoad, useLive, Loading, LoadError, announce,
  organisations, STATES, DECLINE_REASONS, fmt, fmtDate, fmtPnr,
} from '../ui.js';

const SENDER_LABELS = {
  recipient_organisation_id: 'Mottagare', activities: 'Planerade aktiviteter', questions: 'Frågor',
  'contact.name': 'Kontaktperson', 'contact.phone': 'Telefon', 'contact.email': 'E-post', contact: 'Kontaktuppgifter',
  answer_by: 'Svar önskas senast', consent: 'Samtycke',
};

export function NewInquiryPage({ user, caseId }) {
  useTitle('Skriv rehabiliteringsförfrågan');
  const [{ data: orgs }] = useLoad(() => organisations(), []);
  const { errors, setErrors, busy, run } = useForm();
  const [draft, setDraft] = useState(null);
  const form = useRef(null);
  const clinics = (orgs || []).filter((o) => o.kind === 'vardcentral' || o.kind === 'psykiatri');
  const submit = (send) => (e) => {
    e.preventDefault();
    const data = new FormData(form.current);
    const text = (k) => String(data.get(k) || '').trim();
    const body = {
      recipient_organisation_id: text('recipient_organisation_id'),
      activities: text('activities').split('\n').map((a) => a.trim()).filter(Boolean),
      questions: text('questions'),
      contact: { name: text('contact.name'), phone: text('contact.phone') || null, email: text('contact.email') || null },
      answer_by: text('answer_by') || null,
    };
    const local = {};
    if (!body.recipient_organisation_id) local.recipient_organisation_id = 'Välj vilken mottagning som ska få förfrågan.';
    if (!body.questions) local.questions = 'Skriv frågorna till mottagningen.';
    if (!body.contact.name) local['contact.name'] = 'Ange kontaktperson.';
    if (!body.contact.phone && !body.contact.email) local.contact = 'Ange telefon eller e-post till kontaktpersonen.';
    if (Object.keys(local).length) return setErrors(local);
    run(async () => {
      // A draft saved earlier in this form (the send failed) is changed, not written again.
      const saved = draft
        ? await api('PATCH', `/api/inquiries/${draft}`, body)
        : await api('POST', `/api/cases/${caseId}/inquiries`, body);
      setDraft(saved.id);
      if (send) {
        try {
          await api('POST', `/api/inquiries/${saved.id}/send`);
        } catch (err) {
          throw new ApiError(err.status, { ...err.problem, errors: [], detail: `Förfrågan är sparad som utkast men kunde inte skickas. ${err.message}` });
        }
      }
      location.hash = `#/forfragningar/${saved.id}`;
    });
    return undefined;
  };
  const contactError = errors.contact;
  return html`<h1 tabindex="-1">Skriv rehabiliteringsförfrågan</h1>
    <p>Förfrågan går till mottagningens rehabkoordinator, som besvarar den tillsammans med behandlande läkare.
      Den kan bara skickas när ett samtycke som omfattar mottagningen och ändamålet rehabiliteringsförfrågan gäller.</p>
    <${ErrorSummary} errors=${errors} labels=${SENDER_LABELS} />
    ${draft && html`<p><a href=${`#/forfragningar/${draft}`}>Öppna det sparade utkastet</a></p>`}
    <form ref=${form} onSubmit=${submit(true)} novalidate>
      <${Select} name="recipient_organisation_id" label="Mottagare" required error=${errors.recipient_organisation_id}
        options=${[['', 'Välj mottagning'], ...clinics.map((o) => [o.id, o.name])]} />
      <${Field} name="activities" label="Planerade aktiviteter" multiline error=${errors.activities}
        hint="Aktiviteter som personen förväntas delta i, en per rad, t.ex. Jobbtorg eller arbetsträning." />
      <${Field} name="questions" label="Frågor till mottagningen" multiline required error=${errors.questions} />
      <fieldset id="f-contact" tabindex="-1" class=${contactError ? 'field has-error' : 'field'} aria-describedby=${contactError ? 'f-contact-fel' : undefined}>
        <legend>Kontaktperson</legend>
        ${contactError && html`<p class="error" id="f-contact-fel"><span class="sr-only">Fel: </span>${contactError}</p>`}
        <${Field} name="contact.name" label="Namn" required defaultValue=${user.display_name.replace(/\s*\(.*\)$/, '')} error=${errors['contact.name']} autocomplete="name" />
        <${Field} name="contact.phone" label="Telefon" type="tel" error=${errors['contact.phone']} autocomplete="tel" />
        <${Field} name="contact.email" label="E-post" type="email" defaultValue=${user.email} error=${errors['contact.email']} autocomplete="email" />
      </fieldset>
      <${Field} name="answer_by" label="Svar önskas senast" type="date" error=${errors.answer_by}
        hint="Lämna tomt för standardtiden (14 dagar från att förfrågan skickas)." />
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>Skicka förfrågan</button>
        <button type="button" onClick=${submit(false)} disabled=${busy}>Spara som utkast</button>
        <a href=${`#/arenden/${caseId}`}>Avbryt</a>
      </div>
    </form>`;
}

async function loadInquiry(id, background) {
  const q = await api('GET', `/api/inquiries/${id}`, undefined, { background });
  const thread = q.state === 'draft' ? [] : await api('GET', `/api/inquiries/${id}/thread`, undefined, { background }).catch(() => []);
  return { q, thread: thread.items || thread };
}

const STATE_NEWS = {
  received: 'Mottagaren har öppnat förfrågan.', assigned: 'Förfrågan har tilldelats en rehabkoordinator.',
  answered: 'Förfrågan är besvarad.', declined: 'Förfrågan har avböjts.', withdrawn: 'Förfrågan har återkallats.',
  closed: 'Förfrågan är avslutad.', sent: 'Förfrågan är skickad.',
};

export function InquiryPage({ user, id }) {
  useTitle('Rehabiliteringsförfrågan');
  const [{ loading, data, error }, reload] = useLoad((background) => loadInquiry(id, background), [id]);
  const [dialog, setDialog] = useState(null);
  const [actionError, setActionError] = useState(null);
  const lastState = useRef(null);
  useLive((e) => {
    if (e.subject_id === id || (data && e.case_id === data.q.case_id && e.type === 'access_revoked')) reload(true);
  }, [id, data && data.q.case_id]);
  useEffect(() => {
    if (!data) return;
    if (lastState.current && lastState.current !== data.q.state) announce(STATE_NEWS[data.q.state] || `Ny status: ${STATES[data.q.state]}`);
    lastState.current = data.q.state;
  }, [data && data.q.state]);
  if (loading) return html`<h1 tabindex="-1">Rehabiliteringsförfrågan</h1><${Loading} />`;
  if (error) return html`<h1 tabindex="-1">Rehabiliteringsförfrågan</h1><${LoadError} error=${error} />`;
  const { q, thread } = data;
  const sender = q.sender_organisation_id === user.organisation_id;
  const coordinator = !sender && user.roles.includes('rehabkoordinator');
  // After a step the button that took it may be gone: focus goes to the status it changed.
  const focusStatus = () => setTimeout(() => document.getElementById('forfragan-status')?.focus(), 0);
  const act = (path, body, news) => async () => {
    setActionError(null);
    try {
      await api('POST', `/api/inquiries/${id}/${path}`, body);
      announce(news);
      await reload();
      focusStatus();
    } catch (err) {
      setActionError(err.message);
    }
  };
  const open = ['sent', 'received', 'assigned'].includes(q.state);
  return html`<h1 tabindex="-1">Rehabiliteringsförfrågan</h1>
    <p><a href=${`#/arenden/${q.case_id}`}>Till ärendet för ${q.individual_name}</a></p>
    <div class="status-box" id="forfragan-status" tabindex="-1">
      <p><strong>Status:</strong> <span class="state" data-state=${q.state}>${STATES[q.state]}</span>
        ${q.overdue ? html` <span class="flag">Försenad</span>` : ''}</p>
      <p>Svar senast: ${fmtDate(q.answer_by)}${q.assignee_name ? html`. Handläggs av ${q.assignee_name}` : ''}</p>
    </div>
    ${actionError && html`<div class="notice error-notice" role="alert"><p>${actionError}</p></div>`}
    <div class="actions">
      ${sender && q.state === 'draft' && html`<button class="primary" type="button" onClick=${act('send', undefined, 'Förfrågan är skickad.')}>Skicka förfrågan</button>`}
      ${sender && open && html`<button type="button" onClick=${act('withdraw', undefined, 'Förfrågan är återkallad.')}>Återkalla förfrågan</button>`}
      ${sender && q.state === 'answered' && html`<button type="button" onClick=${act('close', undefined, 'Förfrågan är avslutad.')}>Avsluta förfrågan</button>`}
      ${coordinator && open && q.assignee_user_id !== user.id && html`<button class="primary" type="button" onClick=${act('assign', { assignee_user_id: user.id }, 'Förfrågan är tilldelad dig.')}>Tilldela mig</button>`}
      ${coordinator && open && html`<button type="button" onClick=${() => setDialog('decline')}>Avböj förfrågan</button>`}
    </div>
    <section aria-labelledby="avsandare-rubrik">
      <h2 id="avsandare-rubrik">Förfrågan</h2>
      <dl class="facts">
        <dt>Individ</dt><dd>${q.individual_name}, ${fmtPnr(q.personnummer)}</dd>
        <dt>Från</dt><dd>${q.sender_organisation_name} (${q.sender_user_name})</dd>
        <dt>Till</dt><dd>${q.recipient_organisation_name}</dd>
        <dt>Planerade aktiviteter</dt><dd>${q.activities.length ? q.activities.join(', ') : '–'}</dd>
        <dt>Frågor</dt><dd class="body">${q.questions}</dd>
        <dt>Kontaktperson</dt><dd>${q.contact.name}${q.contact.phone ? `, ${q.contact.phone}` : ''}${q.contact.email ? `, ${q.contact.email}` : ''}</dd>
        ${q.sent_at && html`<dt>Skickad</dt><dd>${fmt(q.sent_at)}</dd>`}
      </dl>
    </section>
    ${q.declined && html`<section aria-labelledby="avbojd-rubrik"><h2 id="avbojd-rubrik">Avböjd</h2>
      <p>${DECLINE_REASONS[q.declined.reason] || q.declined.reason}${q.declined.text ? `: ${q.declined.text}` : ''}</p></section>`}
    ${q.answer && html`<${AnswerView} answer=${q.answer} />`}
    ${coordinator && open && html`<${AnswerForm} id=${id} onDone=${async () => { announce('Svaret är skickat.'); await reload(); focusStatus(); }} />`}
    ${q.state !== 'draft' && html`<${Thread} id=${id} thread=${thread} sender=${sender}
      canPost=${!['closed', 'withdrawn', 'declined'].includes(q.state)} reload=${reload} />`}
    ${dialog === 'decline' && html`<${DeclineDialog} id=${id} onClose=${() => setDialog(null)}
      onDone=${async () => { setDialog(null); announce('Förfrågan är avböjd.'); await reload(); focusStatus(); }} />`}`;
}

function AnswerView({ answer: a }) {
  const row = (label, value) => (value ? html`<dt>${label}</dt><dd class="body">${value}</dd>` : null);
  const extent = a.extent.percent != null ? `${a.extent.percent} % av heltid` : `${a.extent.hours_per_week} timmar per vecka`;
  return html`<section aria-labelledby="svar-rubrik" id="svaret">
    <h2 id="svar-rubrik">Svar från mottagningen</h2>
    <p class="hint">Besvarad ${fmt(a.answered_at)} av ${a.answered_by_name}${a.treating_doctor_name ? ` tillsammans med ${a.treating_doctor_name}` : ''}.</p>
    <dl class="facts">
      <dt>Finns rehabiliteringsplan?</dt><dd>${a.has_rehab_plan ? 'Ja' : 'Nej'}</dd>
      ${row('Pågående eller planerad utredning/behandling', a.ongoing_or_planned_investigation_treatment)}
      ${a.diagnoses.length > 0 && html`<dt>Diagnos</dt><dd>${a.diagnoses.map((d) => `${d.text}${d.icd10 ? ` (${d.icd10})` : ''}`).join('; ')}</dd>`}
      ${row('Funktionsnedsättning', a.funktionsnedsattning)}
      ${row('Aktivitetsbegränsning', a.aktivitetsbegransning)}
      ${row('Det här fungerar', a.what_works)}
      ${row('Anpassningar som behövs', a.adaptations)}
      <dt>Omfattning</dt><dd>${extent}</dd>
      ${row('Bör undvikas', a.avoid)}
      ${row('Prognos', a.prognosis)}
      ${row('Rekommendation', a.recommendation)}
    </dl>
  </section>`;
}

const ANSWER_LABELS = {
  has_rehab_plan: 'Finns rehabiliteringsplan?', ongoing_or_planned_investigation_treatment: 'Utredning/behandling',
  diagnoses: 'Diagnos', 'diagnoses[0].text': 'Diagnos', 'diagnoses[0].icd10': 'ICD-10-kod',
  funktionsnedsattning: 'Funktionsnedsättning', aktivitetsbegransning: 'Aktivitetsbegränsning', what_works: 'Det här fungerar',
  adaptations: 'Anpassningar', extent: 'Omfattning', 'extent.percent': 'Procent av heltid', 'extent.hours_per_week': 'Timmar per vecka',
  avoid: 'Bör undvikas', prognosis: 'Prognos', recommendation: 'Rekommendation', treating_doctor_name: 'Behandlande läkare',
};

function AnswerForm({ id, onDone }) {
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  const submit = (e) => {
    e.preventDefault();
    const data = new FormData(form.current);
    const text = (k) => String(data.get(k) || '').trim() || null;
    const num = (k) => (text(k) === null ? null : Number(text(k)));
    const plan = data.get('has_rehab_plan');
    if (!plan) return setErrors({ has_rehab_plan: 'Ange om det finns en rehabiliteringsplan.' });
    const diagnoses = text('diagnoses[0].text') || text('diagnoses[0].icd10')
      ? [{ text: text('diagnoses[0].text') || '', icd10: text('diagnoses[0].icd10') }] : [];
    const body = {
      has_rehab_plan: plan === 'ja',
      ongoing_or_planned_investigation_treatment: text('ongoing_or_planned_investigation_treatment'),
      diagnoses,
      funktionsnedsattning: text('funktionsnedsattning'),
      aktivitetsbegransning: text('aktivitetsbegransning'),
      what_works: text('what_works'),
      adaptations: text('adaptations'),
      extent: { percent: num('extent.percent'), hours_per_week: num('extent.hours_per_week') },
      avoid: text('avoid'),
      prognosis: text('prognosis'),
      recommendation: text('recommendation'),
      treating_doctor_name: text('treating_doctor_name'),
    };
    // The API checks the DFA chain and the extent; its field errors land beside each field.
    run(async () => {
      await api('POST', `/api/inquiries/${id}/answer`, body);
      onDone();
    });
    return undefined;
  };
  const extentError = errors.extent;
  return html`<section aria-labelledby="besvara-rubrik">
    <h2 id="besvara-rubrik">Besvara förfrågan</h2>
    <p>Svaret lämnas tillsammans med behandlande läkare. Diagnos, funktionsnedsättning och aktivitetsbegränsning ska hänga ihop.</p>
    <${ErrorSummary} errors=${errors} labels=${ANSWER_LABELS} />
    <form ref=${form} onSubmit=${submit} novalidate id="svarsformular">
      <${Choices} name="has_rehab_plan" legend="Finns en rehabiliteringsplan?" type="radio" required error=${errors.has_rehab_plan}
        options=${[['ja', 'Ja'], ['nej', 'Nej']]} />
      <${Field} name="ongoing_or_planned_investigation_treatment" label="Pågående eller planerad medicinsk utredning eller behandling" multiline error=${errors.ongoing_or_planned_investigation_treatment} />
      <fieldset class="field"><legend>Diagnos, funktionsnedsättning, aktivitetsbegränsning (DFA)</legend>
        <${Field} name="diagnoses[0].text" label="Diagnos" error=${errors['diagnoses[0].text'] || errors.diagnoses} />
        <${Field} name="diagnoses[0].icd10" label="ICD-10-kod" hint="T.ex. F32.1 eller M54." error=${errors['diagnoses[0].icd10']} />
        <${Field} name="funktionsnedsattning" label="Funktionsnedsättning" multiline hint="Krävs när en diagnos anges." error=${errors.funktionsnedsattning} />
        <${Field} name="aktivitetsbegransning" label="Aktivitetsbegränsning" multiline hint="Krävs när en diagnos anges." error=${errors.aktivitetsbegransning} />
      </fieldset>
      <${Field} name="what_works" label="Det här fungerar trots funktionsnedsättningen" multiline error=${errors.what_works} />
      <${Field} name="adaptations" label="Anpassningar som behövs" multiline error=${errors.adaptations} />
      <fieldset id="f-extent" tabindex="-1" class=${extentError ? 'field has-error' : 'field'} aria-describedby=${extentError ? 'f-extent-fel' : 'f-extent-hint'}>
        <legend>I vilken omfattning kan personen delta i aktivitet eller arbete? <span class="req">(måste fyllas i)</span></legend>
        <p class="hint" id="f-extent-hint">Fyll i antingen procent av heltid eller timmar per vecka, inte båda.</p>
        ${extentError && html`<p class="error" id="f-extent-fel"><span class="sr-only">Fel: </span>${extentError}</p>`}
        <${Field} name="extent.percent" label="Procent av heltid (0–100)" type="number" min="0" max="100" inputmode="numeric" error=${errors['extent.percent']} />
        <${Field} name="extent.hours_per_week" label="Timmar per vecka (0–40)" type="number" min="0" max="40" inputmode="numeric" error=${errors['extent.hours_per_week']} />
      </fieldset>
      <${Field} name="avoid" label="Bör undvikas" multiline hint="T.ex. armarna över axelhöjd." error=${errors.avoid} />
      <${Field} name="prognosis" label="Prognos" multiline error=${errors.prognosis} />
      <${Field} name="recommendation" label="Rekommendation" multiline error=${errors.recommendation} />
      <${Field} name="treating_doctor_name" label="Behandlande läkare" error=${errors.treating_doctor_name} />
      <button class="primary" type="submit" disabled=${busy}>Skicka svar</button>
    </form>
  </section>`;
}

function DeclineDialog({ id, onClose, onDone }) {
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  const submit = (e) => {
    e.preventDefault();
    const data = new FormData(form.current);
    const reason = data.get('reason');
    const text = String(data.get('text') || '').trim() || null;
    if (!reason) return setErrors({ reason: 'Välj ett skäl.' });
    run(async () => {
      await api('POST', `/api/inquiries/${id}/decline`, { reason, text });
      onDone();
    });
    return undefined;
  };
  return html`<${Dialog} title="Avböj förfrågan" onClose=${onClose}>
    <form ref=${form} onSubmit=${submit} novalidate>
      <${ErrorSummary} errors=${errors} labels=${{ reason: 'Skäl', text: 'Förklaring' }} />
      <${Choices} name="reason" legend="Skäl" type="radio" required error=${errors.reason} options=${Object.entries(DECLINE_REASONS)} />
      <${Field} name="text" label="Förklaring" multiline hint="Krävs när du väljer Annat skäl." error=${errors.text} />
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>Avböj förfrågan</button>
        <button type="button" onClick=${onClose}>Avbryt</button>
      </div>
    </form>
  <//>`;
}

function Thread({ id, thread, sender, canPost, reload }) {
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  const label = sender ? 'Ställ en följdfråga' : 'Svara på följdfrågan';
  const submit = (e) => {
    e.preventDefault();
    const body = String(new FormData(form.current).get('body') || '').trim();
    if (!body) return setErrors({ body: 'Skriv något först.' });
    run(async () => {
      await api('POST', `/api/inquiries/${id}/thread`, { body });
      form.current.reset();
      announce('Skickat.');
      reload();
    });
    return undefined;
  };
  return html`<section aria-labelledby="trad-rubrik">
    <h2 id="trad-rubrik">Följdfrågor och svar</h2>
    ${thread.length === 0 && html`<p class="empty">Inga följdfrågor ännu.</p>`}
    <ol class="thread" id="traden">${thread.map((p) => html`<li>
      <p class="meta"><strong>${p.author_name}</strong>, ${p.author_organisation_name} – ${fmt(p.created_at)}</p>
      <p class="body">${p.body}</p></li>`)}</ol>
    ${canPost && html`<form ref=${form} onSubmit=${submit} novalidate>
      <${ErrorSummary} errors=${errors} labels=${{ body: label }} />
      <${Field} name="body" label=${label} multiline required error=${errors.body} />
      <button type="submit" class="primary" disabled=${busy}>Skicka</button>
    </form>`}
  </section>`;
}
