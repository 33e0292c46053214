// The version history of a plan `#/planer/{id}/versioner`: every adopted version, each exactly
// as adopted, and what changed since the previous one side by side.

import { html, useState } from '../lib.js';
import { api } from '../api.js';
import { useTitle, useLoad, useLive, Loading, LoadError, fmt, fmtDate } from '../ui.js';
import {
  KIND_SHORT, GOAL_LEVELS, PlanContentView, loadPlan, namesFor, contentOrganisations, responsibleText, statusText,
} from './plan-common.js';
import { agreementText } from './plan.js';

const PARTS = {
  own_goal: 'Individens eget mål', goal: 'Mål', action: 'Insats', overall: 'Övergripande ansvar', follow_up: 'Gemensam uppföljning',
  reader: 'Läsare', readers: 'Läsare',
};
const CHANGES = { added: 'Tillagt', removed: 'Borttaget', changed: 'Ändrat' };

async function loadVersions(id, background) {
  const base = await loadPlan(id, background);
  const list = await api('GET', `/api/plans/${id}/versions`, undefined, { background });
  return { ...base, versions: list.items };
}

async function loadVersion(id, n, orgs) {
  const v = await api('GET', `/api/plans/${id}/versions/${n}`);
  const before = n > 1 ? await api('GET', `/api/plans/${id}/versions/${n - 1}`).catch(() => null) : null;
  const names = await namesFor(orgs, [...contentOrganisations(v.content), ...contentOrganisations(before && before.content), ...v.participation.organisations]);
  return { v, before, names };
}

/** One side of a change, in words. */
function Value({ value, names }) {
  if (value === null || value === undefined) return html`<span class="hint">–</span>`;
  if (typeof value === 'string') return /^\d{4}-\d{2}-\d{2}$/.test(value) ? fmtDate(value) : value;
  if (Array.isArray(value)) return value.map((o) => (typeof o === 'string' ? names.org(o) : JSON.stringify(o))).join(', ') || '–';
  if (value.what !== undefined) {
    return html`<span>${value.what}<br /><span class="hint">Ansvarig: ${responsibleText(value.responsible, names)}.
      Klart senast: ${fmtDate(value.due_on)}. Status: ${statusText(value)}.</span></span>`;
  }
  if (value.level !== undefined) return `${GOAL_LEVELS[value.level] || value.level}: ${value.text}`;
  if (value.organisation_id !== undefined) return responsibleText(value, names);
  return JSON.stringify(value);
}

function Changes({ v, names }) {
  if (v.version === 1) return html`<p>Första versionen: inget att jämföra med.</p>`;
  const changes = v.changes || [];
  if (!changes.length) return html`<p>Inga ändringar i innehållet jämfört med version ${v.version - 1}.</p>`;
  return html`<table id="andringar" class="side-by-side">
    <caption>Ändringar från version ${v.version - 1} till version ${v.version}</caption>
    <thead><tr><th scope="col">Del</th><th scope="col">Ändring</th><th scope="col">Version ${v.version - 1}</th><th scope="col">Version ${v.version}</th></tr></thead>
    <tbody>${changes.map((ch) => html`<tr data-change=${ch.change}>
      <th scope="row">${PARTS[ch.part] || ch.part}</th>
      <td>${CHANGES[ch.change] || ch.change}</td>
      <td class="before"><${Value} value=${ch.part === 'reader' && ch.before ? [ch.before] : ch.before} names=${names} /></td>
      <td class="after"><${Value} value=${ch.part === 'reader' && ch.after ? [ch.after] : ch.after} names=${names} /></td>
    </tr>`)}</tbody>
  </table>`;
}

export function PlanVersionsPage({ id }) {
  const [{ loading, data, error }, reload] = useLoad((background) => loadVersions(id, background), [id]);
  const [chosen, setChosen] = useState(null);
  const n = chosen || (data && data.versions.length ? Math.max(...data.versions.map((v) => v.version)) : null);
  const [{ data: shown, error: shownError }] = useLoad(() => (n && data ? loadVersion(id, n, data.orgs) : Promise.resolve(null)), [id, n, !!data]);
  useTitle(data ? `Versioner av ${KIND_SHORT[data.plan.kind]}` : 'Versioner');
  useLive((e) => { if (e.subject_id === id || e.plan_id === id) reload(true); }, [id]);
  if (loading) return html`<h1 tabindex="-1">Versioner</h1><${Loading} />`;
  if (error) return html`<h1 tabindex="-1">Versioner</h1><${LoadError} error=${error} />`;
  const { plan, c, names } = data;
  return html`<h1 tabindex="-1">Versioner av ${KIND_SHORT[plan.kind] || plan.kind}${plan.title ? `: ${plan.title}` : ''}</h1>
    <p><a href=${`#/planer/${id}`}>Tillbaka till planen</a>${c ? ` (ärendet för ${c.individual_name})` : ''}</p>
    ${data.versions.length === 0 && html`<p class="empty">Planen har inte fastställts ännu.</p>`}
    ${data.versions.length > 0 && html`<table id="versioner">
      <caption>Fastställda versioner</caption>
      <thead><tr><th scope="col">Version</th><th scope="col">Fastställd</th><th scope="col">Av</th><th scope="col"><span class="sr-only">Visa</span></th></tr></thead>
      <tbody>${data.versions.map((v) => html`<tr>
        <td>${v.version}</td><td>${fmt(v.adopted_at)}</td><td>${names.person(v.adopted_by) || '–'}</td>
        <td><button type="button" aria-pressed=${v.version === n ? 'true' : 'false'} onClick=${() => setChosen(v.version)}>Visa version ${v.version}</button></td>
      </tr>`)}</tbody>
    </table>`}
    ${shownError && html`<${LoadError} error=${shownError} />`}
    ${shown && html`<section aria-labelledby="version-rubrik" id="vald-version">
      <h2 id="version-rubrik">Version ${shown.v.version}, fastställd ${fmt(shown.v.adopted_at)}</h2>
      <p>Deltog: ${shown.v.participation.organisations.map((o) => shown.names.org(o)).join(', ')}.${' '}
        ${shown.v.participation.individual_present ? 'Individen deltog.' : 'Individen deltog inte.'} ${agreementText(shown.v.participation.agreement)}</p>
      <${Changes} v=${shown.v} names=${shown.names} />
      <h3>Planen som den fastställdes</h3>
      <${PlanContentView} content=${shown.v.content} names=${shown.names} H="h4" idPrefix=${`version-${shown.v.version}`} />
    </section>`}`;
}
