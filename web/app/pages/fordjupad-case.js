// Fördjupad samverkan on the case page: "Lyft till rehabansvarig" for the owner's social
// worker; once brought, the rehabansvarig's decision with its history, the target-group coding
// with its history, the phase timeline (an inline SVG and the list of assessments, backwards
// too) and the case's progressionsplan.

import { html, useState } from '../lib.js';
import { api, ApiError } from '../api.js';
import { useLoad, useLive, announce, fmt, fmtDate } from '../ui.js';
import { peopleOf } from './plan-common.js';
import {
  DECISIONS, CRITERIA, TARGET_CODES, DIRECTIONS, scaleOf, phaseText, mayStep,
} from './fordjupad-common.js';
import {
  BringDialog, DecisionDialog, CodingDialog, PhaseDialog,
} from './fordjupad-dialogs.js';

async function loadFordjupad(caseId, background) {
  const opts = { background };
  let f;
  try {
    f = await api('GET', `/api/cases/${caseId}/fordjupad`, undefined, opts);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return { f: null, phases: [], codings: [] };
    throw err;
  }
  const [phases, codings, people] = await Promise.all([
    api('GET', `/api/cases/${caseId}/fordjupad/phases`, undefined, opts),
    api('GET', `/api/cases/${caseId}/fordjupad/codings`, undefined, opts),
    peopleOf(f.owner_organisation_id),
  ]);
  const person = (id) => (people.find((p) => p.id === id) || {}).display_name || 'okänd person';
  return { f, phases, codings, person };
}

/** The phase over the assessments as a small step chart; the description reads every one. */
export function PhaseChart({ phases, id = 'fas-diagram' }) {
  if (phases.length === 0) return null;
  const scale = phases[phases.length - 1].scale;
  const max = scaleOf(scale).labels.length - 1;
  const step = 64;
  const rowH = 18;
  const left = 52;
  const width = left + Math.max(1, phases.length) * step + 16;
  const height = (max + 1) * rowH + 24;
  const y = (n) => 8 + (max - n) * rowH + rowH / 2;
  const x = (i) => left + i * step + step / 2;
  const points = phases.map((p, i) => `${x(i)},${y(p.phase)}`).join(' ');
  const desc = phases.map((p) => `${fmtDate(p.assessed_on)}: fas ${p.phase} (${DIRECTIONS[p.direction].toLowerCase()})`).join('; ');
  return html`<figure class="chart phase-chart">
    <svg id=${id} role="img" aria-labelledby=${`${id}-title ${id}-desc`} viewBox=${`0 0 ${width} ${height}`}
      width=${Math.min(width, 640)} focusable="false">
      <title id=${`${id}-title`}>Fasen vid varje bedömning</title>
      <desc id=${`${id}-desc`}>${desc}</desc>
      ${Array.from({ length: max + 1 }, (_, n) => html`<g>
        <text x=${left - 10} y=${y(n) + 5} text-anchor="end" class="chart-label">Fas ${n}</text>
        <line x1=${left} x2=${width - 8} y1=${y(n)} y2=${y(n)} class="chart-grid" />
      </g>`)}
      <polyline points=${points} class="chart-line" fill="none" />
      ${phases.map((p, i) => html`<circle cx=${x(i)} cy=${y(p.phase)} r="5" class=${`chart-dot ${p.direction}`} />`)}
    </svg>
  </figure>`;
}

function PhaseTimeline({ phases, person }) {
  if (phases.length === 0) return html`<p class="empty">Fasen är inte bedömd ännu.</p>`;
  return html`<${PhaseChart} phases=${phases} />
    <ol class="timeline" id="fas-tidslinje">${[...phases].reverse().map((p) => html`<li data-phase=${p.phase} data-direction=${p.direction}>
      <p class="meta"><strong>${fmtDate(p.assessed_on)}</strong>: ${phaseText(p.scale, p.phase)}${p.outcome_label ? ` (${p.outcome_label})` : ''}
        ${p.direction === 'backward' ? html` <span class="flag">Bakåt</span>` : html` <span class="hint">(${DIRECTIONS[p.direction]})</span>`}</p>
      <p class="body">${p.reason}</p>
      <p class="hint">Bedömd av ${person(p.assessed_by)}</p>
    </li>`)}</ol>`;
}

const codingText = (c) => [
  c.codes.length ? c.codes.map((k) => TARGET_CODES[k]).join(', ') : 'Inte i målgruppen',
  c.months_on_assistance !== null ? `${c.months_on_assistance} månader med bistånd` : null,
].filter(Boolean).join('. ');

function Codings({ codings, person }) {
  if (codings.length === 0) return html`<p class="empty">Ärendet är inte kodat ännu.</p>`;
  const current = codings[codings.length - 1];
  return html`<p id="kodning-nu"><strong>Nu:</strong> ${codingText(current)}${current.long_term_assistance ? ' (långvarigt bistånd)' : ''}.</p>
    ${codings.length > 1 && html`<details><summary>Tidigare kodningar (${codings.length - 1})</summary>
      <ul class="plain" id="kodning-historik">${codings.slice(0, -1).reverse().map((c) => html`<li>
        ${fmt(c.coded_at)}: ${codingText(c)} <span class="hint">(${person(c.coded_by)})</span></li>`)}</ul>
    </details>`}`;
}

function Decisions({ f, person }) {
  if (f.decisions.length === 0) return html`<p id="fordjupad-beslut"><strong>Beslut:</strong> Inväntar rehabansvarigs beslut.</p>`;
  return html`<ol class="timeline" id="fordjupad-beslut">${[...f.decisions].reverse().map((d, i) => html`<li>
    <p class="meta"><strong>${fmtDate(d.decided_on)}: ${DECISIONS[d.decision]}</strong>${i === 0 ? ' (gäller)' : ''}</p>
    <p class="body">${d.reason}</p>
    ${d.decision === 'case_manager' && html`<p class="hint">Till och med ${fmtDate(d.case_manager_until)}. Uppfyllda kriterier: ${d.criteria.map((c) => CRITERIA[c]).join('; ')}.</p>`}
    <p class="hint">Beslutat av ${person(d.decided_by)}</p>
  </li>`)}</ol>`;
}

/** The case's progressionsplan: a link to it, or for the owner's caseworkers a button to start one. */
function Progressionsplan({ caseId, owner, plans, user }) {
  const [error, setError] = useState(null);
  const plan = plans.find((p) => p.kind === 'progressionsplan' && p.state !== 'closed');
  if (plan) return html`<p><a href=${`#/planer/${plan.id}`} id="progressionsplan-lank">Progressionsplanen</a></p>`;
  if (!owner || !user.roles.some((r) => r !== 'org_admin' && r !== 'statistik')) return html`<p class="empty">Ingen progressionsplan ännu.</p>`;
  const create = async () => {
    setError(null);
    try {
      const created = await api('POST', `/api/cases/${caseId}/plans`, { kind: 'progressionsplan', title: null });
      location.hash = `#/planer/${created.id}`;
    } catch (err) {
      setError(err.message);
    }
  };
  return html`<p><button type="button" onClick=${create}>Skapa progressionsplan</button></p>
    ${error && html`<div class="notice error-notice" role="alert"><p>${error}</p></div>`}`;
}

/**
 * The section; a partner asks only when a consent for fördjupad samverkan names it (`shared`),
 * so opening other shared cases leaves no refused read in the audit log.
 */
export function CaseFordjupad({ caseId, owner, shared, plans, user }) {
  const visible = owner || shared;
  const [{ data, error }, reload] = useLoad((background) => (visible ? loadFordjupad(caseId, background) : null), [caseId, visible]);
  const [dialog, setDialog] = useState(null);
  useLive((e) => { if (e.case_id === caseId && (e.type.startsWith('fordjupad.') || e.type.startsWith('plan.'))) reload(true); }, [caseId]);
  if (error || !data) return null;
  const { f, phases, codings, person } = data;
  // A partner sees the section only when the case is shared with it for fördjupad samverkan.
  if (!f && !owner) return null;
  const done = (news) => () => { setDialog(null); announce(news); reload(); };
  const may = (step) => mayStep(user, owner, step, f && f.may);
  const scale = f && (f.phase_scale || (phases.length ? phases[phases.length - 1].scale : 'jarva'));
  const currentPhase = phases.length ? phases[phases.length - 1].phase : null;
  return html`<section aria-labelledby="fordjupad-rubrik" id="fordjupad">
    <h2 id="fordjupad-rubrik">Fördjupad samverkan</h2>
    ${!f && html`<p class="empty">Ärendet är inte lyft till rehabansvarig.</p>
      ${mayStep(user, owner, 'bring') && html`<p><button type="button" onClick=${() => setDialog('bring')}>Lyft till rehabansvarig</button></p>`}`}
    ${f && html`<dl class="facts">
        <dt>Lyft till rehabansvarig</dt><dd>${fmtDate(f.brought_on)} av ${person(f.social_worker_id)}</dd>
        <dt>Varför</dt><dd class="body">${f.note}</dd>
        <dt>Gällande beslut</dt><dd id="fordjupad-gallande">${f.decision ? `${DECISIONS[f.decision]}, ${fmtDate(f.decided_on)}` : 'Inget beslut ännu'}</dd>
        ${f.case_manager_until && html`<dt>Case manager till och med</dt><dd>${fmtDate(f.case_manager_until)}</dd>`}
        <dt>Senast något hände</dt><dd>${fmtDate(f.last_activity_on)}</dd>
        <dt>Fas nu</dt><dd id="fas-nu">${currentPhase === null ? 'Inte bedömd' : phaseText(scale, currentPhase)}</dd>
      </dl>
      <h3>Rehabansvarigs beslut</h3>
      <${Decisions} f=${f} person=${person} />
      ${may('decide') && html`<p><button type="button" onClick=${() => setDialog('decide')}>${f.decision ? 'Nytt beslut' : 'Besluta'}</button></p>`}
      <h3>Kodning för målgruppen</h3>
      <${Codings} codings=${codings} person=${person} />
      ${may('code') && html`<p><button type="button" onClick=${() => setDialog('code')}>Ändra kodning</button></p>`}
      <h3>Fas</h3>
      <${PhaseTimeline} phases=${phases} person=${person} />
      ${may('assess_phase') && html`<p><button type="button" onClick=${() => setDialog('phase')}>Bedöm fas</button></p>`}
      <h3>Progressionsplan</h3>
      <${Progressionsplan} caseId=${caseId} owner=${owner} plans=${plans} user=${user} />`}
    ${dialog === 'bring' && html`<${BringDialog} caseId=${caseId} onClose=${() => setDialog(null)} onDone=${done('Ärendet är lyft till rehabansvarig.')} />`}
    ${dialog === 'decide' && html`<${DecisionDialog} caseId=${caseId} broughtOn=${f.brought_on} onClose=${() => setDialog(null)} onDone=${done('Beslutet är sparat.')} />`}
    ${dialog === 'code' && html`<${CodingDialog} caseId=${caseId} current=${codings[codings.length - 1]} onClose=${() => setDialog(null)} onDone=${done('Kodningen är sparad.')} />`}
    ${dialog === 'phase' && html`<${PhaseDialog} caseId=${caseId} scale=${scale} current=${currentPhase} onClose=${() => setDialog(null)} onDone=${done('Fasbedömningen är sparad.')} />`}
  </section>`;
}
