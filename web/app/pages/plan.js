// The joint plan: its section on the case page (the case's plans, create one of a kind) and
// the plan page `#/planer/{id}`: the adopted version with each action's status (changing live),
// the draft editor, adoption, revise / discard / close, the responsible organisation's status
// updates and taking an action, and booking the follow-up as a meeting.

import { html, useState, useRef, useEffect } from '../lib.js';
import { api, ApiError } from '../api.js';
import {
  Field, Select, ErrorSummary, useForm, useTitle, useLoad, useLive, Loading, LoadError, announce, fmt, fmtDate,
} from '../ui.js';
import {
  PLAN_KINDS, KIND_SHORT, PLAN_STATES, ACTION_STATUS, PlanContentView, loadPlan,
} from './plan-common.js';
import { PlanEditor, editable, toContent, localProblems } from './plan-editor.js';
import { AdoptDialog, StatusDialog, FollowUpDialog, ConfirmDialog } from './plan-dialogs.js';
import { StepList, StepDialog, openSteps, loadSteps } from './fordjupad-steps.js';
import { STEPS } from './fordjupad-common.js';

const caseworker = (user) => user.roles.some((r) => r !== 'org_admin');

/** The plans of a case, on the case page; the owner's caseworkers create one of a kind. */
export function CasePlans({ caseId, owner, plans, user }) {
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  const submit = (e) => {
    e.preventDefault();
    const data = new FormData(form.current);
    const kind = String(data.get('kind') || '');
    const title = String(data.get('title') || '').trim() || null;
    if (!kind) return setErrors({ kind: 'Välj vilken sorts plan.' });
    run(async () => {
      const plan = await api('POST', `/api/cases/${caseId}/plans`, { kind, title });
      location.hash = `#/planer/${plan.id}`;
    });
    return undefined;
  };
  return html`<section aria-labelledby="planer-rubrik">
    <h2 id="planer-rubrik">Planer</h2>
    ${plans.length === 0 && html`<p class="empty">Ingen gemensam plan i ärendet.</p>`}
    ${plans.length > 0 && html`<ul class="cards" id="arendets-planer">${plans.map((p) => html`<li>
      <a href=${`#/planer/${p.id}`}>${KIND_SHORT[p.kind] || p.kind}${p.title ? `: ${p.title}` : ''}</a>
      ${' – '}<span class="state" data-state=${p.state}>${PLAN_STATES[p.state]}</span>
      ${p.version > 0 && html`<span class="hint">, version ${p.version}</span>`}
      ${p.adopted && p.adopted.content.follow_up_on && html`<span class="hint">. Uppföljning ${fmtDate(p.adopted.content.follow_up_on)}.</span>`}
      ${p.needs_new_responsible && p.needs_new_responsible.length > 0 && html` <span class="flag">Insatser saknar ansvarig</span>`}
    </li>`)}</ul>`}
    ${owner && caseworker(user) && html`<form ref=${form} onSubmit=${submit} novalidate class="panel" aria-labelledby="ny-plan-rubrik">
      <h3 id="ny-plan-rubrik">Ny plan</h3>
      <${ErrorSummary} errors=${errors} labels=${{ kind: 'Sorts plan', title: 'Rubrik', _: '' }} />
      <div class="field-row">
        <${Select} name="kind" label="Sorts plan" required error=${errors.kind}
          options=${[['', 'Välj sorts plan'], ...Object.entries(PLAN_KINDS)]} />
        <${Field} name="title" label="Rubrik" error=${errors.title} hint="Frivillig, t.ex. Vägen till arbete." />
      </div>
      <button type="submit" class="primary" disabled=${busy}>Skapa plan</button>
    </form>`}
  </section>`;
}

const STATE_NEWS = {
  adopted: 'Planen är fastställd.', revising: 'En ny version av planen skrivs.', closed: 'Planen är avslutad.', draft: 'Planen är ett utkast.',
};

export function PlanPage({ user, id }) {
  const [{ loading, data, error }, reload] = useLoad(async (background) => {
    const loaded = await loadPlan(id, background);
    const adoptedContent = loaded.plan.adopted && loaded.plan.adopted.content;
    return { ...loaded, steps: await loadSteps(id, adoptedContent, background) };
  }, [id]);
  const [draft, setDraft] = useState(null);
  const [dirty, setDirty] = useState(false);
  const [dialog, setDialog] = useState(null);
  const [booked, setBooked] = useState(null);
  const [actionError, setActionError] = useState(null);
  const { errors, setErrors, busy, run } = useForm();
  const lastState = useRef(null);
  const plan = data && data.plan;
  useTitle(plan ? `${KIND_SHORT[plan.kind]}${data.c ? ` för ${data.c.individual_name}` : ''}` : 'Plan');
  useLive((e) => {
    if (e.subject_id === id || e.plan_id === id || (plan && e.type === 'access_revoked' && e.case_id === plan.case_id)) {
      if (e.type === 'plan.action_updated') announce('En insats i planen har fått ny status.');
      reload(true);
    }
  }, [id, plan && plan.case_id]);
  // The editor starts from the server's draft, and follows it while nothing is changed here.
  useEffect(() => {
    if (plan && plan.draft && !dirty) setDraft(editable(plan.draft));
    if (plan && !plan.draft) { setDraft(null); setDirty(false); }
  }, [plan && plan.updated_at, plan && plan.state]);
  useEffect(() => {
    if (!plan) return;
    if (lastState.current && lastState.current !== plan.state) announce(STATE_NEWS[plan.state] || '');
    lastState.current = plan.state;
  }, [plan && plan.state]);
  if (loading) return html`<h1 tabindex="-1">Plan</h1><${Loading} />`;
  if (error) return html`<h1 tabindex="-1">Plan</h1><${LoadError} error=${error} />`;
  const { c, orgs, names } = data;
  const owner = plan.owner_organisation_id === user.organisation_id;
  const focusStatus = () => setTimeout(() => document.getElementById('plan-status')?.focus(), 0);
  const setContent = (fn) => { setDirty(true); setDraft(fn); };
  const save = async () => {
    const local = localProblems(draft);
    if (Object.keys(local).length) { setErrors(local); return false; }
    return run(async () => {
      try {
        await api('PUT', `/api/plans/${id}/draft`, toContent(draft));
      } catch (err) {
        throw consentErrors(err, draft, names, plan.owner_organisation_id);
      }
      setDirty(false);
      // Saved: the old errors go before the announcement, not after the reload behind it.
      setErrors({});
      announce('Utkastet är sparat.');
      await reload(true);
    });
  };
  const adopt = async () => {
    if (dirty && !(await save())) return;
    setDialog({ kind: 'adopt' });
  };
  const step = (path, news) => async () => {
    setActionError(null);
    try {
      const out = await api('POST', `/api/plans/${id}/${path}`);
      announce(news);
      if (!out) { location.hash = `#/arenden/${plan.case_id}`; return; }
      setDirty(false);
      await reload();
      focusStatus();
    } catch (err) {
      setActionError(err.message);
    }
  };
  const take = (a) => async () => {
    setActionError(null);
    try {
      await api('POST', `/api/plans/${id}/actions/${a.id}/take`);
      announce('Du är nu ansvarig person för insatsen.');
      reload(true);
    } catch (err) {
      setActionError(err.message);
    }
  };
  const mineToUpdate = (a) => a.responsible.organisation_id === user.organisation_id && plan.state !== 'closed';
  const actionButtons = (a) => (mineToUpdate(a) ? html`<div class="row-actions">
    <button type="button" onClick=${() => setDialog({ kind: 'status', action: a })}>Ändra status<span class="sr-only"> för ${a.what}</span></button>
    ${a.responsible.person_id !== user.id && html`<button type="button" onClick=${take(a)}>Ta åtagandet<span class="sr-only"> ${a.what}</span></button>`}
    ${openSteps(data.steps[a.id]).length > 0 && html`<button type="button" onClick=${() => setDialog({ kind: 'step', action: a })}>Registrera steg<span class="sr-only"> för ${a.what}</span></button>`}
  </div>` : null);
  const actionSteps = (a) => html`<${StepList} steps=${data.steps[a.id]} />`;
  const adopted = plan.adopted;
  const lost = plan.needs_new_responsible || [];
  return html`<h1 tabindex="-1">${KIND_SHORT[plan.kind] || plan.kind}${plan.title ? `: ${plan.title}` : ''}</h1>
    <p>${c ? html`<a href=${`#/arenden/${plan.case_id}`}>Till ärendet för ${c.individual_name}</a>` : PLAN_KINDS[plan.kind]}</p>
    <div class="status-box" id="plan-status" tabindex="-1">
      <p><strong>Status:</strong> <span class="state" data-state=${plan.state}>${PLAN_STATES[plan.state]}</span>
        ${plan.version > 0 ? html`, version ${plan.version}` : ''}</p>
      ${adopted && html`<p>Fastställd ${fmt(adopted.adopted_at)}${names.person(adopted.adopted_by) ? ` av ${names.person(adopted.adopted_by)}` : ''}.
        ${adopted.participation.individual_present ? ' Individen deltog.' : ' Individen deltog inte.'} ${agreementText(adopted.participation.agreement)}</p>`}
      <p>Planen ägs av ${names.org(plan.owner_organisation_id)}.</p>
      ${plan.sip_call_id && html`<p>Upprättas från <a href=${`#/sip/${plan.sip_call_id}`} id="plan-kallelse">kallelsen till SIP</a>; när planen fastställs är kallelsen hållen.</p>`}
    </div>
    ${owner && lost.length > 0 && html`<div class="notice error-notice" role="status"><p>
      ${lost.length === 1 ? 'En insats saknar' : `${lost.length} insatser saknar`} ansvarig: organisationen omfattas inte längre av samtycket. Revidera planen och utse en ny ansvarig.</p></div>`}
    ${actionError && html`<div class="notice error-notice" role="alert"><p>${actionError}</p></div>`}
    <div class="actions">
      ${plan.may.revise && html`<button type="button" class="primary" onClick=${step('revise', 'En ny version av planen skrivs.')}>Revidera planen</button>`}
      ${(plan.may.discard ?? (owner && plan.draft && plan.may.edit)) && html`<button type="button" onClick=${() => setDialog({ kind: 'discard' })}>Kasta utkastet</button>`}
      ${plan.may.close && html`<button type="button" onClick=${() => setDialog({ kind: 'close' })}>Avsluta planen</button>`}
      ${owner && adopted && plan.state !== 'closed' && html`<button type="button" onClick=${() => setDialog({ kind: 'meeting' })}>Boka uppföljningen som möte</button>`}
      ${plan.version > 0 && html`<a href=${`#/planer/${id}/versioner`}>Versioner</a>`}
      <a href=${`#/planer/${id}/utskrift`}>Utskrift för individen</a>
    </div>
    ${booked && html`<div class="notice" role="status"><p>Uppföljningsmötet är bokat. <a href=${`#/moten/${booked.id}`}>Öppna mötet</a></p></div>`}
    ${adopted && html`<section aria-labelledby="gallande-rubrik" id="gallande-plan">
      <h2 id="gallande-rubrik">Gällande plan, version ${adopted.version}</h2>
      <${PlanContentView} content=${adopted.content} names=${names} actionButtons=${actionButtons} actionSteps=${actionSteps} idPrefix="gallande" lost=${lost} />
    </section>`}
    ${draft && plan.may.edit && html`<${PlanEditor} content=${draft} setContent=${setContent} errors=${errors} orgs=${orgs}
      ownerId=${plan.owner_organisation_id} kind=${plan.kind} busy=${busy} onSave=${save} onAdopt=${plan.may.adopt ? adopt : null}
      heading=${plan.state === 'revising' ? `Ny version (utkast till version ${plan.version + 1})` : 'Utkast'} />`}
    ${plan.draft && !plan.may.edit && !adopted && html`<section aria-labelledby="utkast-las-rubrik">
      <h2 id="utkast-las-rubrik">Utkast</h2>
      <${PlanContentView} content=${plan.draft} names=${names} idPrefix="utkast" />
    </section>`}
    ${dialog && dialog.kind === 'adopt' && html`<${AdoptDialog} plan=${plan} names=${names} onClose=${() => setDialog(null)}
      onContentErrors=${(e) => { setDialog(null); setErrors(e); }}
      onDone=${async () => { setDialog(null); setDirty(false); announce('Planen är fastställd.'); await reload(); focusStatus(); }} />`}
    ${dialog && dialog.kind === 'status' && html`<${StatusDialog} planId=${id} action=${dialog.action} onClose=${() => setDialog(null)}
      onDone=${async (a) => { setDialog(null); announce(`Insatsen har status ${ACTION_STATUS[a.status]}.`); await reload(true); }} />`}
    ${dialog && dialog.kind === 'step' && html`<${StepDialog} planId=${id} action=${dialog.action} steps=${data.steps[dialog.action.id]} onClose=${() => setDialog(null)}
      onDone=${async (_, step) => { setDialog(null); announce(`Steget är registrerat: ${STEPS[step]}.`); await reload(true); }} />`}
    ${dialog && dialog.kind === 'meeting' && html`<${FollowUpDialog} plan=${plan} onClose=${() => setDialog(null)}
      onDone=${(m) => { setDialog(null); setBooked(m); announce('Uppföljningsmötet är bokat.'); }} />`}
    ${dialog && dialog.kind === 'discard' && html`<${ConfirmDialog} title="Kasta utkastet"
      text=${plan.version > 0 ? 'Ändringarna i utkastet kastas. Den fastställda versionen gäller som förut.' : 'Planen har aldrig fastställts och tas bort helt.'}
      confirm="Kasta utkastet" onClose=${() => setDialog(null)} onConfirm=${async () => { setDialog(null); await step('discard', 'Utkastet är kastat.')(); }} />`}
    ${dialog && dialog.kind === 'close' && html`<${ConfirmDialog} title="Avsluta planen"
      text="Planen avslutas. Alla fastställda versioner går fortfarande att läsa, men inget kan ändras."
      confirm="Avsluta planen" onClose=${() => setDialog(null)} onConfirm=${async () => { setDialog(null); await step('close', 'Planen är avslutad.')(); }} />`}`;
}

/**
 * A 409 `consent_missing` names the organisations without consent in its text: the error is
 * put beside every field that names one of them.
 */
function consentErrors(err, c, names, ownerId) {
  if (!(err instanceof ApiError) || err.code !== 'consent_missing') return err;
  const named = (oid) => oid && oid !== ownerId && err.message.includes(names.org(oid));
  const errors = [];
  c.actions.forEach((a, i) => {
    if (named(a.responsible.organisation_id)) errors.push({ field: `actions[${i}].responsible.organisation_id`, message: err.message });
  });
  if (named(c.overall.organisation_id)) errors.push({ field: 'overall.organisation_id', message: err.message });
  if (c.readers.some(named)) errors.push({ field: 'readers', message: err.message });
  return errors.length ? new ApiError(err.status, { ...err.problem, errors }) : err;
}

export const agreementText = (a) => ({
  muntligt: 'Individen godkände planen muntligt.', skriftligt: 'Individen godkände planen skriftligt.', not_agreed: 'Individen godkände inte planen.',
}[a] || '');

