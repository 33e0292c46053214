// The dialogs of fördjupad samverkan: bringing a case to the rehabansvarig, the rehabansvarig's
// decision (with the case manager's checklist and end date), the target-group coding and a
// phase assessment. Each posts to the case's `/fordjupad` routes; the server's field errors
// land beside their fields.

import { html, useState, useRef } from '../lib.js';
import { api } from '../api.js';
import { Field, Choices, ErrorSummary, Dialog, useForm, all } from '../ui.js';
import {
  DECISIONS, CRITERIA, TARGET_CODES, scaleOf, phaseText, isoToday, plusMonths,
} from './fordjupad-common.js';

const text = (data, key) => String(data.get(key) || '').trim();

function Buttons({ busy, label, onClose }) {
  return html`<div class="actions">
    <button class="primary" type="submit" disabled=${busy}>${label}</button>
    <button type="button" onClick=${onClose}>Avbryt</button>
  </div>`;
}

/** The owner's social worker brings the case to the rehabansvarig. */
export function BringDialog({ caseId, onClose, onDone }) {
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  const submit = (e) => {
    e.preventDefault();
    const note = text(new FormData(form.current), 'note');
    if (!note) return setErrors({ note: 'Skriv varför ärendet lyfts.' });
    run(async () => onDone(await api('POST', `/api/cases/${caseId}/fordjupad`, { note })));
    return undefined;
  };
  return html`<${Dialog} title="Lyft ärendet till rehabansvarig" onClose=${onClose}>
    <p>Rehabansvarig beslutar om ärendet går till fördjupad samverkan, förtroendeläkare, AFU eller case manager.</p>
    <form ref=${form} onSubmit=${submit} novalidate>
      <${ErrorSummary} errors=${errors} labels=${{ note: 'Varför ärendet lyfts' }} />
      <${Field} name="note" label="Varför ärendet lyfts" required error=${errors.note} maxlength="2000"
        hint="Skriv inte mer om personen än ärendet behöver." />
      <${Buttons} busy=${busy} label="Lyft ärendet" onClose=${onClose} />
    </form>
  <//>`;
}

const DECISION_LABELS = {
  decision: 'Beslut', decided_on: 'Beslutsdatum', reason: 'Skäl', criteria: 'Kriterier för case manager',
  case_manager_until: 'Case manager till och med',
};

/** The rehabansvarig's decision with date and reason; a case manager needs every criterion. */
export function DecisionDialog({ caseId, broughtOn, onClose, onDone }) {
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  const [kind, setKind] = useState('');
  const submit = (e) => {
    e.preventDefault();
    const f = form.current;
    const data = new FormData(f);
    const body = {
      decision: text(data, 'decision'), decided_on: text(data, 'decided_on'), reason: text(data, 'reason'),
    };
    const local = {};
    if (!body.decision) local.decision = 'Välj ett beslut.';
    if (!body.decided_on) local.decided_on = 'Ange beslutsdatum.';
    if (!body.reason) local.reason = 'Ange skälet till beslutet.';
    if (body.decision === 'case_manager') {
      body.criteria = all(f, 'criteria');
      body.case_manager_until = text(data, 'case_manager_until') || null;
      if (body.criteria.length < Object.keys(CRITERIA).length) local.criteria = 'Alla kriterier ska vara uppfyllda för case manager.';
      if (!body.case_manager_until) local.case_manager_until = 'Ange när case manager-insatsen slutar.';
    }
    if (Object.keys(local).length) return setErrors(local);
    run(async () => onDone(await api('POST', `/api/cases/${caseId}/fordjupad/decision`, body)));
    return undefined;
  };
  const pick = (e) => { if (e.target.name === 'decision') setKind(e.target.value); };
  return html`<${Dialog} title="Rehabansvarigs beslut" onClose=${onClose}>
    <form ref=${form} onSubmit=${submit} onChange=${pick} novalidate>
      <${ErrorSummary} errors=${errors} labels=${DECISION_LABELS} />
      <${Choices} name="decision" legend="Beslut" type="radio" required error=${errors.decision}
        options=${Object.entries(DECISIONS)} />
      <${Field} name="decided_on" label="Beslutsdatum" type="date" required defaultValue=${isoToday()} error=${errors.decided_on}
        min=${broughtOn} max=${isoToday()} hint="Samma dag som ärendet lyftes eller senare, inte framåt i tiden." />
      <${Field} name="reason" label="Skäl" required error=${errors.reason} maxlength="2000" />
      ${kind === 'case_manager' && html`
        <${Choices} name="criteria" legend="Kriterier för case manager" required error=${errors.criteria}
          hint="Case manager är frivilligt för individen. Alla kriterier ska vara uppfyllda." options=${Object.entries(CRITERIA)} />
        <${Field} name="case_manager_until" label="Case manager till och med" type="date" required
          defaultValue=${plusMonths(isoToday(), 12)} error=${errors.case_manager_until}
          hint="Högst 12 månader från beslutsdatum. Informationsmöte inom en vecka, sedan uppstartsmöte med huvudmål och delmål." />`}
      <${Buttons} busy=${busy} label="Spara beslutet" onClose=${onClose} />
    </form>
  <//>`;
}

/** A new target-group coding; the old one stays in the history. */
export function CodingDialog({ caseId, current, onClose, onDone }) {
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  const submit = (e) => {
    e.preventDefault();
    const f = form.current;
    const months = text(new FormData(f), 'months_on_assistance');
    if (months && !/^\d{1,3}$/.test(months)) return setErrors({ months_on_assistance: 'Ange ett helt antal månader, 0–600.' });
    const body = { codes: all(f, 'codes'), months_on_assistance: months ? Number(months) : null };
    run(async () => onDone(await api('POST', `/api/cases/${caseId}/fordjupad/codings`, body)));
    return undefined;
  };
  return html`<${Dialog} title="Kodning för målgruppen" onClose=${onClose}>
    <p>Kodningen räknas i statistiken (utan personuppgifter). Den förra kodningen sparas i historiken.</p>
    <form ref=${form} onSubmit=${submit} novalidate>
      <${ErrorSummary} errors=${errors} labels=${{ codes: 'Målgrupp', months_on_assistance: 'Månader med ekonomiskt bistånd' }} />
      <${Choices} name="codes" legend="Målgrupp" error=${errors.codes} checked=${(current && current.codes) || []}
        hint="Ingen markering betyder att personen inte hör till målgruppen." options=${Object.entries(TARGET_CODES)} />
      <${Field} name="months_on_assistance" label="Månader med ekonomiskt bistånd" inputmode="numeric" error=${errors.months_on_assistance}
        defaultValue=${current && current.months_on_assistance !== null ? String(current.months_on_assistance) : ''}
        hint="Hela månader, räknat i dag. 12 eller fler räknas som långvarigt bistånd." />
      <${Buttons} busy=${busy} label="Spara kodningen" onClose=${onClose} />
    </form>
  <//>`;
}

/** A phase assessment on the hub's scale, with date and a short reason; it may go backwards. */
export function PhaseDialog({ caseId, scale, current, onClose, onDone }) {
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  const { labels, name, outcomes } = scaleOf(scale);
  const top = String(labels.length - 1);
  const [phase, setPhase] = useState('');
  const submit = (e) => {
    e.preventDefault();
    const data = new FormData(form.current);
    const body = { phase: text(data, 'phase'), assessed_on: text(data, 'assessed_on'), reason: text(data, 'reason') };
    if (body.phase === top) body.outcome = text(data, 'outcome');
    const local = {};
    if (body.phase === '') local.phase = 'Välj fas.';
    if (body.phase === top && !body.outcome) local.outcome = 'Välj utfall för den högsta fasen.';
    if (!body.assessed_on) local.assessed_on = 'Ange datum för bedömningen.';
    if (!body.reason) local.reason = 'Skriv kort varför.';
    if (Object.keys(local).length) return setErrors(local);
    run(async () => onDone(await api('POST', `/api/cases/${caseId}/fordjupad/phases`, { ...body, phase: Number(body.phase) })));
    return undefined;
  };
  return html`<${Dialog} title="Bedöm fas" onClose=${onClose}>
    <p>${name}. ${current !== null && current !== undefined ? `Nu: ${phaseText(scale, current)}. ` : ''}Fasen kan också gå bakåt.</p>
    <form ref=${form} onSubmit=${submit} novalidate>
      <${ErrorSummary} errors=${errors} labels=${{ phase: 'Fas', outcome: 'Utfall', assessed_on: 'Datum', reason: 'Skäl' }} />
      <div onChange=${(e) => { if (e.target.name === 'phase') setPhase(e.target.value); }}>
        <${Choices} name="phase" legend="Fas" type="radio" required error=${errors.phase}
          options=${labels.map((_, n) => [String(n), phaseText(scale, n)])} />
      </div>
      ${phase === top && html`<${Choices} name="outcome" legend="Utfall" type="radio" required error=${errors.outcome}
        hint="Den högsta fasen: vad insatserna ledde till." options=${outcomes} />`}
      <${Field} name="assessed_on" label="Datum" type="date" required defaultValue=${isoToday()} max=${isoToday()} error=${errors.assessed_on} />
      <${Field} name="reason" label="Skäl" required error=${errors.reason} maxlength="500" hint="Kort, t.ex. vad som hänt sedan förra uppföljningen." />
      <${Buttons} busy=${busy} label="Spara bedömningen" onClose=${onClose} />
    </form>
  <//>`;
}
