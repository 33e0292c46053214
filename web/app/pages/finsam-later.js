// What follows a referral's acceptance: the team's joint plan (a plan of kind `finsam` naming
// the referral, drawn up by the referring caseworker, who drives it), the follow-ups (after 6
// months by default) and closing with an outcome from the configured list, naming the effort
// of the förbund's insatskatalog when the outcome is a Finsam effort. Shown on the referral's
// page and, for the plan, on the agenda item; the coordinator's follow-up list is
// `#/finsam/uppfoljningar`.

import { html, useState, useRef } from '../lib.js';
import { api } from '../api.js';
import {
  Field, Select, ErrorSummary, Dialog, useForm, useTitle, useLoad, useLive, Loading, LoadError, formObject, fmt, fmtDate,
} from '../ui.js';
import { OUTCOMES, REFERRAL_STATES, FinsamNav, isFinsam } from './finsam.js';

/** The referral's plan: a link to it, or for the referrer's organisation the button that starts it. */
export function ItemPlan({ referral, user }) {
  const referralId = referral.referral_id || referral.id;
  const [{ loading, data }] = useLoad((background) => api('GET', `/api/cases/${referral.case_id}/plans`, undefined, { background })
    .catch(() => ({ items: [] })), [referral.case_id, referral.state]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  if (loading) return html`<p>Hämtar …</p>`;
  const plan = (data.items || []).find((p) => p.finsam_referral_id === referralId) || (referral.plan_id && { id: referral.plan_id });
  if (plan) return html`<p><a href=${`#/planer/${plan.id}`} class="finsam-plan-lank">Till teamets gemensamma plan</a></p>`;
  if (referral.referrer_organisation_id !== user.organisation_id) return html`<p class="hint">Den som anmälde upprättar teamets gemensamma plan och driver den.</p>`;
  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      const created = await api('POST', `/api/cases/${referral.case_id}/plans`, { kind: 'finsam', finsam_referral_id: referralId });
      location.hash = `#/planer/${created.id}`;
    } catch (err) {
      setError(err.message || 'Planen kunde inte skapas.');
      setBusy(false);
    }
  };
  return html`<p><button type="button" disabled=${busy} onClick=${start}>Upprätta gemensam plan</button></p>
    ${error && html`<p class="error" role="alert">${error}</p>`}`;
}

const LATER = ['on_agenda', 'plan_adopted', 'followed_up', 'closed'];

/** On the referral's page: the plan, the follow-ups, the outcome, and the coordinator's steps. */
export function ReferralLater({ referral: r, user, reload }) {
  const [dialog, setDialog] = useState(null);
  const [{ data: followUps }, reloadFollowUps] = useLoad((background) => (LATER.includes(r.state)
    ? api('GET', `/api/finsam/referrals/${r.id}/follow-ups`, undefined, { background }).catch(() => [])
    : Promise.resolve([])), [r.id, r.state]);
  const may = (step) => r.steps.includes(step);
  const done = () => { setDialog(null); reload(); reloadFollowUps(); };
  const list = (followUps && (followUps.items || followUps)) || [];
  return html`
    ${LATER.includes(r.state) && html`<section aria-labelledby="plan-rubrik">
      <h2 id="plan-rubrik">Teamets gemensamma plan</h2>
      <${ItemPlan} referral=${r} user=${user} />
      ${r.follow_up_due_at && r.state !== 'closed' && html`<p id="nasta-uppfoljning">Nästa uppföljning: <strong>${fmtDate(r.follow_up_due_at)}</strong></p>`}
    </section>`}
    ${list.length > 0 && html`<section aria-labelledby="uppfoljningar-rubrik">
      <h2 id="uppfoljningar-rubrik">Uppföljningar</h2>
      <ol class="thread" id="uppfoljningar">${list.map((f) => html`<li>
        <p class="meta">Uppföljning ${fmt(f.done_at)} (planerad ${fmtDate(f.due_at)}): ${f.continues ? 'planen fortsätter' : 'avslutad'}</p>
        <p class="body">${f.progress}</p>
      </li>`)}</ol>
    </section>`}
    ${r.outcome && html`<section aria-labelledby="utfall-rubrik" class="panel">
      <h2 id="utfall-rubrik">Utfall</h2>
      <p id="utfall"><strong>${OUTCOMES[r.outcome]}</strong>${r.closed_at ? `, avslutad ${fmtDate(r.closed_at)}` : ''}</p>
      ${r.outcome_effort_id && user.organisation_id === r.forbund_organisation_id && html`<${EffortName} id=${r.outcome_effort_id} />`}
    </section>`}
    <div class="actions">
      ${may('follow_up') && html`<button type="button" class="primary" onClick=${() => setDialog('follow_up')}>Registrera uppföljning</button>`}
      ${may('close') && html`<button type="button" onClick=${() => setDialog('close')}>Avsluta med utfall</button>`}
    </div>
    ${dialog && html`<${FollowUpDialog} r=${r} closing=${dialog === 'close'} mayFollowUp=${may('follow_up')}
      onClose=${() => setDialog(null)} onDone=${done} />`}`;
}

/** The effort's name from the insatskatalog, which only the förbund's users read. */
function EffortName({ id }) {
  const [{ data }] = useLoad(() => api('GET', '/api/finsam/efforts').catch(() => []), [id]);
  const effort = (data || []).find((e) => e.id === id);
  return html`<p>Insats ur insatskatalogen: <strong id="utfall-insats">${effort ? effort.name : '–'}</strong></p>`;
}

/**
 * The follow-up and the outcome dialog in one: the progress, and whether the plan continues
 * (the next follow-up is scheduled) or the referral closes with an outcome from the list,
 * with the effort of the insatskatalog for a Finsam effort.
 */
function FollowUpDialog({ r, closing, mayFollowUp, onClose, onDone }) {
  const { errors, setErrors, busy, run } = useForm();
  const [ends, setEnds] = useState(closing);
  const [outcome, setOutcome] = useState('');
  const form = useRef(null);
  const [{ data }] = useLoad(async () => {
    const [offered, efforts] = await Promise.all([api('GET', '/api/finsam/outcomes'), api('GET', '/api/finsam/efforts').catch(() => [])]);
    return { outcomes: offered.outcomes, efforts: efforts.filter((e) => e.active) };
  }, []);
  const submit = (e) => {
    e.preventDefault();
    const d = formObject(form.current);
    const local = {};
    if (mayFollowUp && !d.progress) local.progress = 'Beskriv hur det har gått.';
    if (ends && !outcome) local.outcome = 'Välj utfall.';
    if (Object.keys(local).length) return setErrors(local);
    run(async () => {
      if (ends) {
        await api('POST', `/api/finsam/referrals/${r.id}/close`, {
          outcome, effort_id: outcome === 'finsam_effort' ? d.effort_id : null, progress: d.progress || null,
        });
      } else {
        await api('POST', `/api/finsam/referrals/${r.id}/follow-up`, { progress: d.progress });
      }
      onDone();
    });
    return undefined;
  };
  const title = mayFollowUp ? 'Uppföljning av teamets plan' : 'Avsluta med utfall';
  return html`<${Dialog} title=${title} onClose=${onClose}>
    ${!data ? html`<${Loading} />` : html`<form ref=${form} onSubmit=${submit} novalidate>
      <${ErrorSummary} errors=${errors} labels=${{ progress: 'Hur har det gått?', outcome: 'Utfall', effort_id: 'Insats', _: '' }} />
      ${mayFollowUp && html`<${Field} name="progress" label="Hur har det gått?" multiline required error=${errors.progress}
        hint="Vad har hänt sedan planen fastställdes? Står aldrig i e-post." />`}
      ${mayFollowUp && html`<fieldset class="field" id="f-continues" tabindex="-1">
        <legend>Hur går det vidare?</legend>
        <div class="choice"><input type="radio" id="f-continues-0" name="continues" checked=${!ends} onChange=${() => setEnds(false)} />
          <label for="f-continues-0">Planen fortsätter (den som driver den reviderar planen; ny uppföljning bokas)</label></div>
        <div class="choice"><input type="radio" id="f-continues-1" name="continues" checked=${ends} onChange=${() => setEnds(true)} />
          <label for="f-continues-1">Avsluta med ett utfall</label></div>
      </fieldset>`}
      ${ends && html`<${Select} name="outcome" label="Utfall" required error=${errors.outcome} value=${outcome}
        onChange=${(e) => setOutcome(e.target.value)} options=${[['', 'Välj utfall'], ...data.outcomes.map((o) => [o, OUTCOMES[o] || o])]} />`}
      ${ends && outcome === 'finsam_effort' && html`<${Select} name="effort_id" label="Insats" required error=${errors.effort_id}
        options=${data.efforts.map((x) => [x.id, x.name])} />`}
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>${ends ? 'Avsluta anmälan' : 'Spara uppföljningen'}</button>
        <button type="button" onClick=${onClose}>Avbryt</button>
      </div>
    </form>`}
  <//>`;
}

/** `#/finsam/uppfoljningar`: the förbund's running plans by their next follow-up. */
export function FollowUpsPage({ user }) {
  useTitle('Uppföljningar');
  const [{ loading, data, error }, reload] = useLoad(async (background) => {
    const lists = await Promise.all(['plan_adopted', 'followed_up'].map((s) => api('GET', `/api/finsam/referrals?box=inbox&state=${s}&limit=200`, undefined, { background })));
    return lists.flatMap((l) => l.items).sort((a, b) => String(a.follow_up_due_at).localeCompare(String(b.follow_up_due_at)));
  }, []);
  useLive((e) => { if (isFinsam(e)) reload(true); }, []);
  const now = Date.now();
  return html`<h1 tabindex="-1">Uppföljningar</h1>
    <${FinsamNav} user=${user} here="#/finsam/uppfoljningar" />
    <p>Teamets planer som löper, med nästa uppföljning först. Koordinatorn och den som driver planen påminns före uppföljningen.</p>
    ${loading && html`<${Loading} />`}
    ${error && html`<${LoadError} error=${error} />`}
    ${data && data.length === 0 && html`<p class="empty" role="status">Inga planer att följa upp.</p>`}
    ${data && data.length > 0 && html`<table id="finsam-uppfoljningar">
      <caption class="sr-only">Planer att följa upp</caption>
      <thead><tr><th scope="col">Individ</th><th scope="col">Anmäld av</th><th scope="col">Status</th><th scope="col">Nästa uppföljning</th></tr></thead>
      <tbody>${data.map((r) => html`<tr>
        <td><a href=${`#/finsam/anmalningar/${r.id}`}>${r.individual_name}</a></td>
        <td>${r.referrer_organisation_name}</td>
        <td>${REFERRAL_STATES[r.state]}</td>
        <td>${fmtDate(r.follow_up_due_at)}${r.follow_up_due_at && Date.parse(r.follow_up_due_at) < now ? html` <span class="flag">Försenad</span>` : ''}</td>
      </tr>`)}</tbody>
    </table>`}`;
}
