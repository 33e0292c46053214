// The steps of a progressionsplan's category 4 (förtroendeläkare) and 5 (AFU) actions: which are
// done and when, shown in the action's row, and the dialog in which the action's responsible
// organisation records one (the written recommendations start the avstämning rule).

import { html, useRef } from '../lib.js';
import { api } from '../api.js';
import {
  Field, Select, ErrorSummary, Dialog, useForm, fmtDate,
} from '../ui.js';
import { STEPS, STEPS_OF, isoToday } from './fordjupad-common.js';

const doneOf = (action) => Object.fromEntries((action.steps || []).map((s) => [s.step, s.done_on]));

/** The action's steps in order, each with its date or "inte gjort". */
export function StepList({ action }) {
  const steps = STEPS_OF[action.category];
  if (!steps) return null;
  const done = doneOf(action);
  return html`<ul class="plain steps" data-steps=${action.id}>${steps.map((s) => html`<li data-step=${s} data-done=${done[s] ? 'ja' : 'nej'}>
    ${done[s] ? html`<span aria-hidden="true">✓ </span>` : ''}${STEPS[s]}: ${done[s] ? fmtDate(done[s]) : html`<span class="hint">inte gjort</span>`}
  </li>`)}</ul>`;
}

/** Steps not yet done, for the dialog. */
export const openSteps = (action) => (STEPS_OF[action.category] || []).filter((s) => !doneOf(action)[s]);

/** The action's responsible organisation records a step with its date. */
export function StepDialog({ planId, action, onClose, onDone }) {
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  const steps = openSteps(action);
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
