// Shared pieces: accessible form fields with linked errors, the error summary, dialogs,
// Swedish labels and formats, the live announcer.

import { html, useState, useEffect, useRef } from './lib.js';
import { api, ApiError } from './api.js';
import { subscribe } from './live.js';

export const fieldId = (name) => `f-${name}`;

let organisationsCache = null;
/** The organisation directory, fetched once. */
export async function organisations() {
  if (!organisationsCache) organisationsCache = await api('GET', '/api/organisations', undefined, { background: true });
  return organisationsCache;
}

/** A labelled input or textarea; hint and error are tied to it with aria-describedby. */
export function Field({ name, label, hint, error, type = 'text', multiline = false, required = false, live = false, ...rest }) {
  const id = fieldId(name);
  const hintId = hint ? `${id}-hint` : null;
  const errId = `${id}-fel`;
  const describedby = [hintId, error ? errId : null].filter(Boolean).join(' ') || undefined;
  const control = multiline
    ? html`<textarea id=${id} name=${name} rows="4" aria-describedby=${describedby} aria-invalid=${error ? 'true' : undefined} aria-required=${required ? 'true' : undefined} ...${rest}></textarea>`
    : html`<input id=${id} name=${name} type=${type} aria-describedby=${describedby} aria-invalid=${error ? 'true' : undefined} aria-required=${required ? 'true' : undefined} ...${rest} />`;
  const err = error ? html`<p class="error" id=${errId}><span class="sr-only">Fel: </span>${error}</p>` : null;
  return html`<div class=${error ? 'field has-error' : 'field'}>
    <label for=${id}>${label}${required ? html` <span class="req">(måste fyllas i)</span>` : ''}</label>
    ${hint && html`<p class="hint" id=${hintId}>${hint}</p>`}
    ${live ? html`<div aria-live="polite">${err}</div>` : err}
    ${control}
  </div>`;
}

/** A labelled select; `selected` chooses the first option without controlling it. */
export function Select({ name, label, error, options, required = false, selected, ...rest }) {
  const id = fieldId(name);
  const errId = `${id}-fel`;
  return html`<div class=${error ? 'field has-error' : 'field'}>
    <label for=${id}>${label}${required ? html` <span class="req">(måste fyllas i)</span>` : ''}</label>
    ${error && html`<p class="error" id=${errId}><span class="sr-only">Fel: </span>${error}</p>`}
    <select id=${id} name=${name} aria-describedby=${error ? errId : undefined} aria-invalid=${error ? 'true' : undefined} aria-required=${required ? 'true' : undefined} ...${rest}>
      ${options.map(([value, text]) => html`<option value=${value} selected=${selected === undefined ? undefined : selected === value}>${text}</option>`)}
    </select>
  </div>`;
}

/** Checkboxes or radios in a fieldset; the error is tied to every choice. */
export function Choices({ name, legend, hint, error, options, type = 'checkbox', checked = [], required = false }) {
  const id = fieldId(name);
  const hintId = hint ? `${id}-hint` : null;
  const errId = `${id}-fel`;
  const describedby = [hintId, error ? errId : null].filter(Boolean).join(' ') || undefined;
  return html`<fieldset id=${id} tabindex="-1" class=${error ? 'field has-error' : 'field'} aria-describedby=${describedby}>
    <legend>${legend}${required ? html` <span class="req">(måste fyllas i)</span>` : ''}</legend>
    ${hint && html`<p class="hint" id=${hintId}>${hint}</p>`}
    ${error && html`<p class="error" id=${errId}><span class="sr-only">Fel: </span>${error}</p>`}
    ${options.map(([value, text], i) => html`<div class="choice">
      <input type=${type} id=${`${id}-${i}`} name=${name} value=${value} defaultChecked=${checked.includes(value)} aria-describedby=${error ? errId : undefined} />
      <label for=${`${id}-${i}`}>${text}</label>
    </div>`)}
  </fieldset>`;
}

/** The list of problems at the top of a form; each links to its field. */
let summaries = 0;
export function ErrorSummary({ errors, labels = {} }) {
  const ref = useRef(null);
  const headingId = useRef(`fel-rubrik-${(summaries += 1)}`).current;
  const entries = Object.entries(errors || {});
  useEffect(() => {
    if (entries.length && ref.current) ref.current.focus();
  }, [errors]);
  if (!entries.length) return null;
  const go = (field) => (e) => {
    e.preventDefault();
    const el = document.getElementById(fieldId(field)) || document.getElementById(fieldId(field.split(/[.[]/)[0]));
    if (el) el.focus();
  };
  return html`<div class="error-summary" role="alert" tabindex="-1" ref=${ref} aria-labelledby=${headingId}>
    <h2 id=${headingId}>Det gick inte att spara</h2>
    <ul>
      ${entries.map(([field, message]) => field === '_'
        ? html`<li>${message}</li>`
        : html`<li><a href=${`#${fieldId(field)}`} onClick=${go(field)}>${labels[field] || labels[field.split(/[.[]/)[0]] || field}: ${message}</a></li>`)}
    </ul>
  </div>`;
}

/**
 * Form state: `run(fn)` runs a submit, turning an ApiError into field errors (or `_`, the
 * form's own error) and keeping `busy` while it runs.
 */
export function useForm() {
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const run = async (fn) => {
    setBusy(true);
    try {
      await fn();
      setErrors({});
      return true;
    } catch (err) {
      if (err instanceof ApiError) {
        const fields = err.fields;
        setErrors(Object.keys(fields).length ? fields : { _: err.message });
      } else {
        setErrors({ _: String(err.message || err) });
      }
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { errors, setErrors, busy, run };
}

/** A modal dialog (native <dialog>): focus stays inside, Escape closes, focus returns. */
export function Dialog({ title, onClose, children }) {
  const ref = useRef(null);
  useEffect(() => {
    const opener = document.activeElement;
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => {
      // Back to the button that opened it; if the action removed that button, to the page.
      setTimeout(() => {
        if (opener && opener.isConnected) opener.focus();
        else if (!document.activeElement || document.activeElement === document.body) document.getElementById('innehall')?.focus();
      }, 0);
    };
  }, []);
  return html`<dialog ref=${ref} aria-labelledby="dialog-rubrik" onCancel=${(e) => { e.preventDefault(); onClose(); }}>
    <h2 id="dialog-rubrik">${title}</h2>
    ${children}
  </dialog>`;
}

/** Form data as a plain object: empty strings become null, repeated names become arrays. */
export function formObject(form) {
  const data = new FormData(form);
  const out = {};
  for (const key of new Set(data.keys())) {
    const all = data.getAll(key).map((v) => (typeof v === 'string' ? v.trim() : v));
    out[key] = all.length > 1 ? all : (all[0] === '' ? null : all[0]);
  }
  return out;
}

export const all = (form, name) => new FormData(form).getAll(name).map(String);

// The announcer: one polite live region for things that happen without the user asking.
const announcers = new Set();
export function announce(text) {
  announcers.forEach((fn) => fn(text));
}
export function Announcer() {
  const [text, setText] = useState('');
  useEffect(() => {
    const fn = (t) => {
      setText('');
      setTimeout(() => setText(t), 50);
    };
    announcers.add(fn);
    return () => announcers.delete(fn);
  }, []);
  return html`<div class="sr-only" aria-live="polite" aria-atomic="true" id="meddelanden-live">${text}</div>`;
}

/** Calls `fn(event)` for live events while the component is shown. */
export function useLive(fn, deps = []) {
  const saved = useRef(fn);
  saved.current = fn;
  useEffect(() => subscribe((event) => saved.current(event)), deps);
}

/** Loads with `load(background)` now and whenever `reload` is called. */
export function useLoad(load, deps = []) {
  const [state, setState] = useState({ loading: true, data: null, error: null });
  // Only the load started last may set the state: an answer to an earlier one (a filter
  // changed again before it came, a live reload of what was shown before) is dropped, or it
  // would replace the newer answer if it came after it.
  const latest = useRef(0);
  const reload = async (background = false) => {
    const mine = ++latest.current;
    try {
      const data = await load(background);
      if (mine === latest.current) setState({ loading: false, data, error: null });
    } catch (error) {
      if (mine === latest.current) setState({ loading: false, data: null, error });
    }
  };
  useEffect(() => {
    setState({ loading: true, data: null, error: null });
    reload(false);
  }, deps);
  return [state, reload];
}

export function useTitle(title) {
  useEffect(() => {
    document.title = `${title} – Samverkan`;
  }, [title]);
}

export function Loading() {
  return html`<p role="status">Hämtar …</p>`;
}

export function LoadError({ error }) {
  const text = error && error.status === 404
    ? 'Det finns inget att visa här, eller så har du inte behörighet att se det.'
    : (error && error.message) || 'Något gick fel.';
  return html`<div class="notice error-notice" role="alert"><p>${text}</p></div>`;
}

// Swedish labels.
export const ROLES = {
  socialsekreterare: 'Socialsekreterare', rehabansvarig: 'Rehabansvarig', bitradande_enhetschef: 'Biträdande enhetschef',
  rehabkoordinator: 'Rehabkoordinator', finsamkoordinator: 'Finsam-koordinator', handlaggare: 'Handläggare',
  arbetsformedlare: 'Arbetsförmedlare', jobbcoach: 'Jobbcoach', org_admin: 'Administratör',
  statistik: 'Statistik (läser bara statistik)',
};
export const PURPOSES = {
  informationsutbyte: 'Informationsutbyte', rehabiliteringsforfragan: 'Rehabiliteringsförfrågan', sip: 'SIP',
  finsamteam: 'Finsamteam', fordjupad_samverkan: 'Fördjupad samverkan',
};
export const FORMS = { muntligt: 'Muntligt', skriftligt: 'Skriftligt' };
export const CONSENT_STATUS = { active: 'Aktivt', ended: 'Återkallat', annulled: 'Makulerat' };
export const STATES = {
  draft: 'Utkast', sent: 'Skickad', received: 'Öppnad av mottagaren', assigned: 'Tilldelad', answered: 'Besvarad',
  closed: 'Avslutad', declined: 'Avböjd', withdrawn: 'Återkallad',
};
export const DECLINE_REASONS = {
  person_not_listed_here: 'Personen är inte listad hos oss', consent_insufficient: 'Samtycket räcker inte',
  wrong_unit: 'Fel mottagning', other: 'Annat skäl',
};
export const ACTIONS = {
  'case.read': 'Läste ärendet', 'case.list': 'Listade ärenden', 'case.create': 'Öppnade ärendet', 'case.update': 'Ändrade ärendet',
  'case.handover': 'Lämnade över ärendet', 'case.responsibility': 'Läste ärendets ansvarshistorik',
  'consent.create': 'Registrerade samtycke', 'consent.read': 'Läste samtycke', 'consent.list': 'Listade samtycken',
  'consent.end': 'Återkallade samtycke', 'consent.annul': 'Makulerade samtycke',
  'individual.register': 'Registrerade individen', 'individual.read': 'Läste individens uppgifter',
  'inquiry.create': 'Skrev förfrågan', 'inquiry.read': 'Läste förfrågan', 'inquiry.list': 'Listade förfrågningar',
  'inquiry.send': 'Skickade förfrågan', 'inquiry.receive': 'Tog emot förfrågan', 'inquiry.assign': 'Tilldelade förfrågan',
  'inquiry.answer': 'Besvarade förfrågan', 'inquiry.decline': 'Avböjde förfrågan', 'inquiry.thread_post': 'Skrev i tråden',
  'inquiry.thread_read': 'Läste tråden', 'message.create': 'Skrev meddelande', 'message.list': 'Läste meddelanden',
  'message.read': 'Läste meddelande', 'meeting.create': 'Bokade möte', 'meeting.read': 'Läste möte', 'meeting.list': 'Listade möten',
  'meeting.update': 'Ändrade möte', 'meeting.invite': 'Bjöd in till möte', 'meeting.cancel': 'Ställde in möte',
  'meeting.answer': 'Svarade på mötesinbjudan', 'meeting.answer_attendee': 'Registrerade extern deltagares svar',
  'sip_call.create': 'Kallade till SIP', 'sip_call.read': 'Läste kallelse till SIP', 'sip_call.list': 'Listade kallelser till SIP',
  'sip_call.answer': 'Svarade på kallelse till SIP', 'sip_call.book': 'Bokade SIP-möte', 'sip_call.cancel': 'Ställde in kallelse till SIP',
  'sip_call.hold': 'SIP-planen fastställdes',
  'plan.create': 'Skapade plan', 'plan.read': 'Läste plan', 'plan.list': 'Listade planer',
  'plan.update': 'Ändrade planutkast', 'plan.adopt': 'Fastställde plan', 'plan.revise': 'Började revidera plan',
  'plan.discard': 'Kastade planutkast', 'plan.close': 'Avslutade plan', 'plan.version_read': 'Läste planversion',
  'plan.action_update': 'Uppdaterade insats', 'plan.action_take': 'Tog insats', 'plan.commitment_list': 'Listade åtaganden',
  'plan.follow_up_book': 'Bokade uppföljningsmöte',
  'finsam_referral.create': 'Skrev anmälan till Finsamteam', 'finsam_referral.read': 'Läste anmälan till Finsamteam',
  'finsam_referral.list': 'Listade anmälningar till Finsamteam', 'finsam_referral.update': 'Ändrade utkast till anmälan',
  'finsam_referral.send': 'Skickade anmälan till Finsamteam', 'finsam_referral.withdraw': 'Återkallade anmälan till Finsamteam',
  'finsam_referral.return': 'Skickade tillbaka anmälan för komplettering', 'finsam_referral.complete': 'Kompletterade anmälan',
  'finsam_referral.accept': 'Tog upp anmälan i Finsamteamet', 'finsam_referral.decline': 'Avböjde anmälan till Finsamteam',
  'finsam_referral.plan_adopt': 'Teamets plan fastställdes', 'finsam_referral.follow_up': 'Följde upp teamets plan',
  'finsam_referral.close': 'Avslutade anmälan med utfall', 'finsam_effort.list': 'Läste insatskatalogen',
  'finsam_effort.create': 'Lade till insats i insatskatalogen', 'finsam_effort.update': 'Ändrade insats i insatskatalogen',
  'finsam_meeting.create': 'Bokade teammöte', 'finsam_meeting.read': 'Läste teammötets dagordning',
  'finsam_meeting.list': 'Listade teammöten', 'finsam_agenda.add': 'Satte anmälan på dagordningen',
  'finsam_agenda.remove': 'Tog bort punkt från dagordningen', 'finsam_agenda.order': 'Ändrade dagordningens ordning',
  'finsam_agenda.publish': 'Skickade dagordningen', 'finsam_agenda.record': 'Protokollförde punkt på dagordningen',
  'statistics.read': 'Läste statistik', 'demo.seed': 'Demodata skapades',
};

export const MEETING_KINDS = {
  avstamningsmote: 'Avstämningsmöte', sip_mote: 'SIP-möte', trepartsmote: 'Trepartsmöte', finsamteam_mote: 'Finsamteam-möte',
  gemensam_kartlaggning: 'Gemensam kartläggning', uppfoljning_fordjupad_samverkan: 'Uppföljning fördjupad samverkan', other: 'Annat möte',
};
/** The consent purpose a kind of meeting needs (as the API defaults it). */
export const MEETING_PURPOSE = {
  sip_mote: 'sip', finsamteam_mote: 'finsamteam', uppfoljning_fordjupad_samverkan: 'fordjupad_samverkan',
};
export const meetingPurpose = (kind) => MEETING_PURPOSE[kind] || 'informationsutbyte';
export const ANSWERS = { accepted: 'Kommer', tentative: 'Kanske', declined: 'Kommer inte' };
export const answerText = (answer) => ANSWERS[answer] || 'Har inte svarat';

const dateTime = new Intl.DateTimeFormat('sv-SE', { dateStyle: 'short', timeStyle: 'short', timeZone: 'Europe/Stockholm' });
const dateOnly = new Intl.DateTimeFormat('sv-SE', { dateStyle: 'short', timeZone: 'Europe/Stockholm' });
export const fmt = (iso) => (iso ? dateTime.format(new Date(iso)) : '–');
export const fmtDate = (iso) => (iso ? dateOnly.format(new Date(iso)) : '–');
const longDay = new Intl.DateTimeFormat('sv-SE', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/Stockholm' });
const clock = new Intl.DateTimeFormat('sv-SE', { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Stockholm' });
export const fmtDay = (iso) => longDay.format(new Date(iso));
export const fmtClock = (iso) => clock.format(new Date(iso));
/** "tisdag 19 maj 2026 kl. 10:00–11:00". */
export const fmtWhen = (start, end) => `${fmtDay(start)} kl. ${fmtClock(start)}–${fmtClock(end)}`;

/**
 * Checks a personnummer or samordningsnummer as typed: `null` when valid, else a Swedish
 * message. Twelve digits ÅÅÅÅMMDDNNNK, a real date (day + 60 for samordningsnummer), Luhn.
 */
export function checkPersonnummer(raw) {
  const text = (raw || '').trim();
  if (!/^[0-9]{8}[-+]?[0-9]{4}$/.test(text)) {
    const digits = text.replace(/[^0-9]/g, '');
    if (/[^0-9+-]/.test(text)) return 'Personnumret får bara innehålla siffror och bindestreck.';
    return `Personnumret ska ha 12 siffror (ÅÅÅÅMMDD-NNNN); du har skrivit ${digits.length}.`;
  }
  const d = text.replace(/[^0-9]/g, '');
  const year = Number(d.slice(0, 4));
  const month = Number(d.slice(4, 6));
  let day = Number(d.slice(6, 8));
  if (day > 60) day -= 60;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (month < 1 || month > 12 || day < 1 || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return 'Datumet i personnumret finns inte.';
  }
  let sum = 0;
  for (let i = 0; i < 9; i += 1) {
    let n = Number(d[2 + i]) * (i % 2 === 0 ? 2 : 1);
    if (n > 9) n -= 9;
    sum += n;
  }
  if ((10 - (sum % 10)) % 10 !== Number(d[11])) return 'Kontrollsiffran stämmer inte. Kontrollera numret.';
  return null;
}

/** ÅÅÅÅMMDD-NNNN for reading. */
export const fmtPnr = (pnr) => (/^[0-9]{12}$/.test(pnr || '') ? `${pnr.slice(0, 8)}-${pnr.slice(8)}` : pnr);
