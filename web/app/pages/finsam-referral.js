// The referral's page (`#/finsam/anmalningar/{id}`): its state, changing live; its content;
// the coordinator's question and the referrer's answer. The steps the API offers (`steps`)
// become buttons: the referrer sends a draft, withdraws, and answers a return for completion
// ("Komplettera"); the coordinator accepts, returns with a question or declines with a
// reason code and a text.

import { html, useState, useRef } from '../lib.js';
import { api } from '../api.js';
import {
  Field, Select, ErrorSummary, Dialog, useForm, useTitle, useLoad, useLive, Loading, LoadError, announce, formObject, fmt,
} from '../ui.js';
import {
  REFERRAL_STATES, REFERRAL_DECLINE_REASONS, OTHER_ROUTES, CONTENT_FIELDS, CONTENT_LABELS, isFinsam,
} from './finsam.js';
import { ContentFields, content, consentError } from './finsam-form.js';
import { ReferralLater } from './finsam-later.js';

const NEWS = {
  sent: 'Anmälan är skickad till förbundet.', returned: 'Anmälan har skickats tillbaka för komplettering.', accepted: 'Teamet tar upp anmälan.',
  declined: 'Teamet tar inte upp anmälan.', withdrawn: 'Anmälan är återkallad.', plan_adopted: 'Teamets plan är fastställd.',
  followed_up: 'Teamets plan är uppföljd.', closed: 'Anmälan är avslutad.',
};

/** `#/finsam/anmalningar/{id}`. */
export function ReferralPage({ user, id }) {
  const [{ loading, data, error }, reload] = useLoad((background) => api('GET', `/api/finsam/referrals/${id}`, undefined, { background }), [id]);
  const [dialog, setDialog] = useState(null);
  const [sendError, setSendError] = useState(null);
  const last = useRef(null);
  useTitle('Anmälan till Finsamteam');
  useLive((e) => {
    if (e.subject_id === id || (isFinsam(e) && !e.type.startsWith('finsam_referral.'))) reload(true);
  }, [id]);
  if (loading) return html`<h1 tabindex="-1">Anmälan till Finsamteam</h1><${Loading} />`;
  if (error) return html`<h1 tabindex="-1">Anmälan till Finsamteam</h1><${LoadError} error=${error} /><p><a href="#/finsam">Till anmälningarna</a></p>`;
  const r = data;
  if (last.current && last.current !== r.state && NEWS[r.state]) announce(NEWS[r.state]);
  last.current = r.state;
  const may = (step) => r.steps.includes(step);
  const done = (text) => { setDialog(null); reload(); announce(text); };
  const send = async () => {
    setSendError(null);
    try {
      await api('POST', `/api/finsam/referrals/${id}/send`);
      reload();
    } catch (err) {
      setSendError(consentError(err).message);
    }
  };
  return html`<h1 tabindex="-1">Anmälan till Finsamteam: ${r.individual_name}</h1>
    <dl class="facts">
      <dt>Status</dt><dd id="anmalan-status" aria-live="polite">${REFERRAL_STATES[r.state]}</dd>
      <dt>Anmäld av</dt><dd>${r.referrer_user_name}, ${r.referrer_organisation_name}</dd>
      <dt>Till</dt><dd>${r.forbund_organisation_name}</dd>
      <dt>Skickad</dt><dd>${fmt(r.sent_at)}</dd>
      ${r.decided_at && html`<dt>Beslut</dt><dd>${fmt(r.decided_at)}</dd>`}
      <dt>Ärende</dt><dd><a href=${`#/arenden/${r.case_id}`}>Till ärendet</a></dd>
    </dl>
    ${r.question && html`<section aria-labelledby="fraga-rubrik" class="panel" id="komplettering">
      <h2 id="fraga-rubrik">Koordinatorns fråga</h2>
      <p class="body" id="koordinatorns-fraga">${r.question}</p>
      ${r.answer && html`<h3>Svar från den som anmälde</h3><p class="body" id="komplettering-svar">${r.answer}</p>`}
    </section>`}
    ${r.decline && html`<section aria-labelledby="avbojd-rubrik" class="panel" id="avbojd">
      <h2 id="avbojd-rubrik">Teamet tar inte upp anmälan</h2>
      <p><strong>${REFERRAL_DECLINE_REASONS[r.decline.reason]}</strong>${r.decline.other_route ? `: ${OTHER_ROUTES[r.decline.other_route]}` : ''}</p>
      <p class="body">${r.decline.text}</p>
    </section>`}
    <section aria-labelledby="innehall-rubrik">
      <h2 id="innehall-rubrik">Anmälan</h2>
      <dl class="facts" id="anmalan-innehall">${CONTENT_FIELDS.map(([k, label]) => html`<dt>${label}</dt><dd class="body">${r[k] || '–'}</dd>`)}</dl>
    </section>
    ${sendError && html`<div class="error-summary" role="alert" id="skicka-fel"><p>Anmälan kunde inte skickas: ${sendError}</p></div>`}
    <div class="actions">
      ${may('edit') && html`<a class="button" href=${`#/finsam/anmalningar/${id}/andra`}>Ändra utkastet</a>`}
      ${may('send') && html`<button type="button" class="primary" onClick=${send}>Skicka anmälan</button>`}
      ${may('complete') && html`<button type="button" class="primary" onClick=${() => setDialog('complete')}>Komplettera</button>`}
      ${may('accept') && html`<button type="button" class="primary" onClick=${() => setDialog('accept')}>Ta upp i teamet</button>`}
      ${may('return') && html`<button type="button" onClick=${() => setDialog('return')}>Skicka tillbaka för komplettering</button>`}
      ${may('decline') && html`<button type="button" onClick=${() => setDialog('decline')}>Avböj</button>`}
      ${may('withdraw') && html`<button type="button" onClick=${() => setDialog('withdraw')}>Återkalla anmälan</button>`}
    </div>
    <${ReferralLater} referral=${r} user=${user} reload=${reload} />
    ${dialog === 'complete' && html`<${CompleteDialog} r=${r} onClose=${() => setDialog(null)} onDone=${() => done('Kompletteringen är skickad.')} />`}
    ${dialog === 'return' && html`<${ReturnDialog} r=${r} onClose=${() => setDialog(null)} onDone=${() => done('Anmälan är skickad tillbaka med din fråga.')} />`}
    ${dialog === 'decline' && html`<${DeclineDialog} r=${r} onClose=${() => setDialog(null)} onDone=${() => done('Anmälan är avböjd.')} />`}
    ${dialog === 'accept' && html`<${StepDialog} r=${r} step="accept" title="Ta upp anmälan i teamet" button="Ta upp i teamet"
      text="Den som anmälde får veta det direkt. Anmälan kan sedan sättas på ett teammötes dagordning."
      onClose=${() => setDialog(null)} onDone=${() => done('Teamet tar upp anmälan.')} />`}
    ${dialog === 'withdraw' && html`<${StepDialog} r=${r} step="withdraw" title="Återkalla anmälan" button="Återkalla anmälan"
      text="Anmälan tas tillbaka och förbundet tar inte ställning till den." cancel="Behåll anmälan"
      onClose=${() => setDialog(null)} onDone=${() => done('Anmälan är återkallad.')} />`}`;
}

/** A step without a body, confirmed in a dialog. */
function StepDialog({ r, step, title, text, button, cancel = 'Avbryt', onClose, onDone }) {
  const { errors, busy, run } = useForm();
  const go = () => run(async () => {
    await api('POST', `/api/finsam/referrals/${r.id}/${step}`);
    onDone();
  });
  return html`<${Dialog} title=${title} onClose=${onClose}>
    <p>${text}</p>
    <${ErrorSummary} errors=${errors} />
    <div class="actions">
      <button type="button" class="primary" disabled=${busy} onClick=${go}>${button}</button>
      <button type="button" onClick=${onClose}>${cancel}</button>
    </div>
  <//>`;
}

/** The coordinator's question, returning the referral for completion. */
function ReturnDialog({ r, onClose, onDone }) {
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  const submit = (e) => {
    e.preventDefault();
    const { question } = formObject(form.current);
    if (!question) return setErrors({ question: 'Skriv vad som behöver kompletteras.' });
    run(async () => {
      await api('POST', `/api/finsam/referrals/${r.id}/return`, { question });
      onDone();
    });
    return undefined;
  };
  return html`<${Dialog} title="Skicka tillbaka för komplettering" onClose=${onClose}>
    <form ref=${form} onSubmit=${submit} novalidate>
      <${ErrorSummary} errors=${errors} labels=${{ question: 'Fråga' }} />
      <${Field} name="question" label="Fråga" multiline required error=${errors.question}
        hint="Vad behöver teamet veta mer? Den som anmälde ser frågan på anmälan." />
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>Skicka tillbaka</button>
        <button type="button" onClick=${onClose}>Avbryt</button>
      </div>
    </form>
  <//>`;
}

/** The referrer's answer to the question, with the content completed; resends. */
function CompleteDialog({ r, onClose, onDone }) {
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  const submit = (e) => {
    e.preventDefault();
    const { answer } = formObject(form.current);
    if (!answer) return setErrors({ answer: 'Svara på koordinatorns fråga.' });
    run(async () => {
      try {
        await api('POST', `/api/finsam/referrals/${r.id}/complete`, { answer, content: content(form.current) });
      } catch (err) {
        const mapped = consentError(err);
        if (mapped !== err) mapped.problem.errors = [{ field: '_', message: mapped.message }];
        throw mapped;
      }
      onDone();
    });
    return undefined;
  };
  return html`<${Dialog} title="Komplettera anmälan" onClose=${onClose}>
    <p>Koordinatorns fråga: <strong>${r.question}</strong></p>
    <form ref=${form} onSubmit=${submit} novalidate>
      <${ErrorSummary} errors=${errors} labels=${{ ...CONTENT_LABELS, answer: 'Svar', _: '' }} />
      <${Field} name="answer" label="Svar" multiline required error=${errors.answer} />
      <details open=${Object.keys(errors).some((k) => CONTENT_LABELS[k])}><summary>Ändra anmälans innehåll</summary>
        <${ContentFields} values=${r} errors=${errors} />
      </details>
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>Skicka kompletteringen</button>
        <button type="button" onClick=${onClose}>Avbryt</button>
      </div>
    </form>
  <//>`;
}

/** The coordinator's decline: a reason code, the better route with `other_route`, a text. */
function DeclineDialog({ r, onClose, onDone }) {
  const { errors, setErrors, busy, run } = useForm();
  const [reason, setReason] = useState('not_target_group');
  const form = useRef(null);
  const submit = (e) => {
    e.preventDefault();
    const d = formObject(form.current);
    const body = { reason, other_route: reason === 'other_route' ? d.other_route : null, text: d.text || '' };
    if (!body.text) return setErrors({ text: 'Förklara beslutet för den som anmälde.' });
    run(async () => {
      await api('POST', `/api/finsam/referrals/${r.id}/decline`, body);
      onDone();
    });
    return undefined;
  };
  return html`<${Dialog} title="Avböj anmälan" onClose=${onClose}>
    <form ref=${form} onSubmit=${submit} novalidate>
      <${ErrorSummary} errors=${errors} labels=${{ reason: 'Skäl', other_route: 'Väg som passar bättre', text: 'Förklaring' }} />
      <${Select} name="reason" label="Skäl" required error=${errors.reason} value=${reason} onChange=${(e) => setReason(e.target.value)}
        options=${Object.entries(REFERRAL_DECLINE_REASONS)} />
      ${reason === 'other_route' && html`<${Select} name="other_route" label="Väg som passar bättre" required error=${errors.other_route}
        options=${Object.entries(OTHER_ROUTES)} />`}
      <${Field} name="text" label="Förklaring" multiline required error=${errors.text} hint="Den som anmälde ser förklaringen." />
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>Avböj anmälan</button>
        <button type="button" onClick=${onClose}>Avbryt</button>
      </div>
    </form>
  <//>`;
}
