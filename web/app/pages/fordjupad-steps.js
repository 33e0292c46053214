// The steps of a progressionsplan's category 4 (förtroendeläkare) and 5 (AFU) actions: which are
// done and when, shown in the action's row, and the dialog in which the action's responsible
// organisation records one (the written recommendations start the avstämning rule).

import { html, useRef } from '../lib.js';
import { api } from '../api.js';
import {
  Field, Select, ErrorSummary, Dialog, useForm, fmtDate,
} from '../ui.js';
import { STEPS, STEPS_OF, isoToday } from './fordjupad-common.js';

/** Loads the steps of every category 4 or 5 action of `content`, as `{actionId: steps}`. */
export async function loadSteps(planId, content, background) {
  const actions = ((content && content.actions) || []).filter((a) => STEPS_OF[a.category]);
  const lists = await Promise.all(actions.map((a) => api('GET', `/api/plans/${planId}/actions/${a.id}/steps`, undefined, { background })
    .catch(() => null)));
  return Object.fromEntries(actions.map((a, i) => [a.id, lists[i]]));
}

/** The action's steps in order, each with its date or "inte gjort"; an AFU's offer deadline. */
export function StepList({ steps }) {
  if (!steps || steps.steps.length === 0) return null;
  return html`<ul class="plain steps" data-steps=${steps.action_id}>${steps.steps.map((s) => html`<li data-step=${s.step} data-done=${s.done_on ? 'ja' : 'nej'}>
      ${s.done_on ? html`<span aria-hidden="true">✓ </span>` : ''}${STEPS[s.step]}: ${s.done_on ? fmtDate(s.done_on) : html`<span class="hint">inte gjort</span>`}
    </li>`)}
    ${steps.times_offered_due && html`<li>Tider ska erbjudas senast ${fmtDate(steps.times_offered_due)}${steps.times_offered_late ? html` <span class="flag">Försenad</span>` : ''}</li>`}
  </ul>`;
}

/** Steps not yet done, for the dialog. */
export const openSteps = (steps) => ((steps && steps.steps) || []).filter((s) => !s.done_on).map((s) => s.step);

/** The action's responsible organisation records a step with its date. */
export function StepDialog({ planId, action, steps: current, onClose, onDone }) {
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  const steps = openSteps(current);
  const submit = (e) => {
    e.preventDefault();
    const data = new FormData(form.current);
    const body = { step: String(data.get('step') || ''), done_on: String(data.get('done_on') || '') };
    const local = {};
    if (!body.step) local.step = 'Välj steget.';
    if (!body.done_on) local.done_on = 'Ange datum.';
    if (Object.keys(local).length) return setErrors(local);
    run(async () => onDone(await api('POST', `/api/plans/${planId}/actions/${action.id}/steps`, body), body.step));
    return undefined;
  };
  return html`<${Dialog} title="Registrera steg" onClose=${onClose}>
    <p><strong>Insats:</strong> ${action.what}</p>
    ${action.category === 5 && html`<p class="hint">Leverantören ska erbjuda tider inom två veckor från beställningen. Tolk bokas när det behövs.</p>`}
    <form ref=${form} onSubmit=${submit} novalidate>
      <${ErrorSummary} errors=${errors} labels=${{ step: 'Steg', done_on: 'Datum' }} />
      <${Select} name="step" label="Steg" required error=${errors.step} options=${[['', 'Välj steg'], ...steps.map((s) => [s, STEPS[s]])]} />
      <${Field} name="done_on" label="Datum" type="date" required defaultValue=${isoToday()} max=${isoToday()} error=${errors.done_on} />
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>Spara steget</button>
        <button type="button" onClick=${onClose}>Avbryt</button>
      </div>
    </form>
  <//>`;
}
