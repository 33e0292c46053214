// What the plan pages share: Swedish labels, loading a plan with the names it points at
// (organisations and their people), due state, and the read view of a plan's content
// (goals, actions grouped by responsible party, overall responsibility, follow-up).

import { html } from '../lib.js';
import { api } from '../api.js';
import { organisations, fmtDate } from '../ui.js';
import { categoryText, holderText } from './fordjupad-common.js';

export const PLAN_KINDS = {
  sip: 'SIP (samordnad individuell plan)', progressionsplan: 'Progressionsplan',
  finsam: 'Gemensam plan (Finsamteam)', rehabplan: 'Rehabplan',
};
export const KIND_SHORT = { sip: 'SIP', progressionsplan: 'Progressionsplan', finsam: 'Gemensam plan', rehabplan: 'Rehabplan' };
export const PLAN_STATES = { draft: 'Utkast', adopted: 'Fastställd', revising: 'Fastställd, revideras', closed: 'Avslutad' };
export const ACTION_STATUS = { planned: 'Planerad', ongoing: 'Pågår', done: 'Klar', cancelled: 'Inställd' };
export const GOAL_LEVELS = { huvudmal: 'Huvudmål', delmal: 'Delmål' };
export const AGREEMENTS = {
  muntligt: 'Individen godkände planen muntligt', skriftligt: 'Individen godkände planen skriftligt',
  not_agreed: 'Individen godkände inte planen',
};
/** The changes a responsible organisation may report (ActionStatus::may_become). */
export const NEXT_STATUS = {
  planned: ['ongoing', 'done', 'cancelled'], ongoing: ['done', 'cancelled'], done: ['ongoing'], cancelled: ['planned'],
};
/** Days before its date that an open action counts as due soon (the server's `plans.warn_days` default). */
const WARN_DAYS = 3;

export const today = () => {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
};

/** "later", "soon" or "overdue", as the server counts it (it may say so itself as `due`). */
export function dueOf(action) {
  if (action.due) return action.due;
  if (!action.due_on || !['planned', 'ongoing'].includes(action.status)) return 'later';
  const days = Math.round((Date.parse(action.due_on) - Date.parse(today())) / 86400000);
  if (days < 0) return 'overdue';
  return days <= WARN_DAYS ? 'soon' : 'later';
}

export function DueFlag({ action }) {
  const due = dueOf(action);
  if (due === 'overdue') return html` <span class="flag">Försenad</span>`;
  if (due === 'soon') return html` <span class="flag soon">Snart</span>`;
  return null;
}

/** A random UUID (v4) for a new goal or action, so actions can point at new goals. */
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const peopleCache = new Map();
/** The people of an organisation who work with cases (names only), fetched once per page load. */
export function peopleOf(orgId) {
  if (!orgId) return Promise.resolve([]);
  if (!peopleCache.has(orgId)) {
    peopleCache.set(orgId, api('GET', `/api/organisations/${orgId}/people`, undefined, { background: true }).catch(() => {
      peopleCache.delete(orgId);
      return [];
    }));
  }
  return peopleCache.get(orgId);
}

/** Every organisation a plan's content names. */
export function contentOrganisations(content) {
  if (!content) return [];
  const ids = [
    ...content.actions.map((a) => a.responsible.organisation_id),
    ...(content.overall ? [content.overall.organisation_id] : []),
    ...(content.readers || []),
  ];
  return [...new Set(ids.filter(Boolean))];
}

/** A plan, its case (when readable) and the names of the organisations and people it names. */
export async function loadPlan(id, background) {
  const opts = { background };
  const plan = await api('GET', `/api/plans/${id}`, undefined, opts);
  const [c, orgs] = await Promise.all([
    api('GET', `/api/cases/${plan.case_id}`, undefined, opts).catch(() => null),
    organisations(),
  ]);
  const names = await namesFor(orgs, [plan.owner_organisation_id, ...contentOrganisations(plan.draft), ...contentOrganisations(plan.adopted && plan.adopted.content)]);
  return { plan, c, orgs, names };
}

/** Name lookups: `org(id)`, `person(id)`, `people(orgId)`, `email(orgId)`. */
export async function namesFor(orgs, orgIds) {
  const unique = [...new Set(orgIds.filter(Boolean))];
  const lists = await Promise.all(unique.map((o) => peopleOf(o)));
  const people = new Map();
  lists.flat().forEach((p) => people.set(p.id, p));
  const byOrg = new Map(unique.map((o, i) => [o, lists[i]]));
  const org = (oid) => (orgs.find((o) => o.id === oid) || {}).name || 'Okänd organisation';
  return {
    org,
    person: (pid) => (people.get(pid) || {}).display_name || null,
    people: (oid) => byOrg.get(oid) || [],
    email: (oid) => (orgs.find((o) => o.id === oid) || {}).functional_email || null,
  };
}

export const responsibleText = (r, names) => (r
  ? `${names.org(r.organisation_id)}${r.person_id && names.person(r.person_id) ? `, ${names.person(r.person_id)}` : ''}`
  : '–');

/** Actions grouped by responsible organisation, in the order the organisations first appear. */
export function byParty(actions) {
  const groups = new Map();
  actions.forEach((a, index) => {
    const key = a.responsible.organisation_id;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push({ action: a, index });
  });
  return [...groups.entries()];
}

export function statusText(a) {
  return `${ACTION_STATUS[a.status] || a.status}${a.status_on ? ` (${fmtDate(a.status_on)})` : ''}`;
}

/** Goals as a list: each huvudmål with its delmål under it; delmål without a place last. */
export function GoalList({ goals, id }) {
  if (!goals.length) return html`<p class="empty">Inga mål ännu.</p>`;
  const main = goals.filter((g) => g.level === 'huvudmal');
  const loose = goals.filter((g) => g.level !== 'huvudmal' && !main.some((m) => m.id === g.serves));
  return html`<ul class="goals" id=${id}>
    ${main.map((g) => {
      const subs = goals.filter((s) => s.level === 'delmal' && s.serves === g.id);
      return html`<li><strong>Huvudmål:</strong> ${g.text}
        ${subs.length > 0 && html`<ul>${subs.map((s) => html`<li><strong>Delmål:</strong> ${s.text}</li>`)}</ul>`}</li>`;
    })}
    ${loose.map((g) => html`<li><strong>${GOAL_LEVELS[g.level]}:</strong> ${g.text}</li>`)}
  </ul>`;
}

/**
 * The read view of a plan's content. `H` is the heading tag of its parts ('h3' inside a
 * section); `actionButtons(action)` adds the buttons of a row (status, take), `actionSteps(action)`
 * a category 4 or 5 action's steps.
 */
export function PlanContentView({ content, names, H = 'h3', actionButtons, actionSteps, idPrefix = 'plan', notes = true, lost = [] }) {
  const goalText = (gid) => (content.goals.find((g) => g.id === gid) || {}).text || '–';
  const sub = { h2: 'h3', h3: 'h4' }[H] || 'h5';
  // A progressionsplan's actions carry a category, and who follows each up follows from it.
  const categorised = content.actions.some((a) => a.category);
  return html`<div class="plan-content">
    <${H}>Individens eget mål<//>
    ${content.own_goal ? html`<p class="own-goal">${content.own_goal}</p>` : html`<p class="empty">Inte ifyllt.</p>`}
    <${H}>Mål<//>
    <${GoalList} goals=${content.goals} id=${`${idPrefix}-mal`} />
    <${H}>Insatser, per ansvarig<//>
    ${content.actions.length === 0 && html`<p class="empty">Inga insatser ännu.</p>`}
    ${byParty(content.actions).map(([orgId, rows]) => html`<div class="party" id=${`${idPrefix}-part-${orgId}`}>
      <${sub}>${names.org(orgId)}<//>
      <table class="plan-actions">
        <caption class="sr-only">Insatser som ${names.org(orgId)} ansvarar för</caption>
        <thead><tr><th scope="col">Insats</th><th scope="col">Ansvarig person</th><th scope="col">Klart senast</th>
          <th scope="col">Mål</th>${categorised && html`<th scope="col">Kategori</th>`}<th scope="col">Status</th>${actionButtons && html`<th scope="col"><span class="sr-only">Åtgärder</span></th>`}</tr></thead>
        <tbody>${rows.map(({ action: a }) => html`<tr data-action=${a.id}>
          <td>${a.what}</td>
          <td>${(a.responsible.person_id && names.person(a.responsible.person_id)) || html`<span class="hint">Ingen utsedd</span>`}</td>
          <td>${fmtDate(a.due_on)}<${DueFlag} action=${a} /></td>
          <td>${a.goal_id ? goalText(a.goal_id) : '–'}</td>
          ${categorised && html`<td class="action-category">${categoryText(a.category)}${a.category ? html`<br /><span class="hint">${holderText(a.category)}</span>` : ''}${actionSteps ? actionSteps(a) : ''}</td>`}
          <td class="action-status"><span class="state" data-status=${a.status}>${statusText(a)}</span>
            ${notes && a.note ? html`<br /><span class="hint">${a.note}</span>` : ''}
            ${lost.includes(a.id) ? html`<br /><span class="flag">Behöver ny ansvarig</span>` : ''}</td>
          ${actionButtons && html`<td>${actionButtons(a)}</td>`}
        </tr>`)}</tbody>
      </table>
    </div>`)}
    <${H}>${categorised ? 'Uppföljningsansvar' : 'Övergripande ansvar'}<//>
    <p id=${`${idPrefix}-overall`}>${responsibleText(content.overall, names)}</p>
    <${H}>Gemensam uppföljning<//>
    <p id=${`${idPrefix}-uppfoljning`}>${content.follow_up_on ? fmtDate(content.follow_up_on) : 'Inget datum satt.'}</p>
    ${(content.readers || []).length > 0 && html`<${H}>Läser planen utan egen insats<//>
      <ul>${content.readers.map((o) => html`<li>${names.org(o)}</li>`)}</ul>`}
  </div>`;
}
