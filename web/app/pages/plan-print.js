// The printable plan `#/planer/{id}/utskrift`: for the individual, in plain Swedish. The goals,
// who does what by when, who holds the overall responsibility, the follow-up date and how to
// reach the contacts. Never the agencies' notes on an action's status.

import { html } from '../lib.js';
import { useTitle, useLoad, Loading, LoadError, fmtDate, fmtPnr } from '../ui.js';
import { PLAN_KINDS, KIND_SHORT, GoalList, loadPlan, byParty } from './plan-common.js';

const PLAIN_STATUS = { planned: 'Ska göras', ongoing: 'Pågår', done: 'Klart', cancelled: 'Blir inte av' };

function Contacts({ content, names }) {
  const orgIds = [...new Set([
    ...(content.overall ? [content.overall.organisation_id] : []),
    ...content.actions.map((a) => a.responsible.organisation_id),
  ])];
  const personOf = (oid) => {
    const ids = [
      ...(content.overall && content.overall.organisation_id === oid && content.overall.person_id ? [content.overall.person_id] : []),
      ...content.actions.filter((a) => a.responsible.organisation_id === oid && a.responsible.person_id).map((a) => a.responsible.person_id),
    ];
    return [...new Set(ids)].map((p) => names.person(p)).filter(Boolean).map((n) => n.replace(/\s*\(.*\)$/, ''));
  };
  return html`<ul class="contacts" id="kontakter">${orgIds.map((oid) => {
    const people = personOf(oid);
    const email = names.email(oid);
    return html`<li><strong>${names.org(oid)}</strong>
      ${people.length > 0 && html`<br />Kontaktperson: ${people.join(', ')}`}
      ${email ? html`<br />E-post: ${email}` : html`<br />Fråga din kontaktperson hur du når dem.`}</li>`;
  })}</ul>`;
}

export function PlanPrintPage({ id }) {
  const [{ loading, data, error }] = useLoad((background) => loadPlan(id, background), [id]);
  useTitle(data ? `${KIND_SHORT[data.plan.kind]} – utskrift` : 'Utskrift');
  if (loading) return html`<h1 tabindex="-1">Utskrift</h1><${Loading} />`;
  if (error) return html`<h1 tabindex="-1">Utskrift</h1><${LoadError} error=${error} />`;
  const { plan, c, names } = data;
  const adopted = plan.adopted;
  const content = adopted ? adopted.content : plan.draft;
  return html`<div class="print-doc">
    <p class="no-print"><a href=${`#/planer/${id}`}>Tillbaka till planen</a></p>
    <div class="actions no-print"><button type="button" class="primary" onClick=${() => window.print()}>Skriv ut planen</button></div>
    <h1 tabindex="-1">${PLAN_KINDS[plan.kind] || plan.kind}${plan.title ? `: ${plan.title}` : ''}</h1>
    ${c && html`<p class="print-who">För ${c.individual_name}, ${fmtPnr(c.personnummer)}</p>`}
    ${adopted
      ? html`<p>Planen bestämdes ${fmtDate(adopted.adopted_at)} (version ${adopted.version}).</p>`
      : html`<p class="notice"><strong>Utkast.</strong> Planen är inte fastställd ännu och kan ändras.</p>`}
    ${!content && html`<p class="empty">Planen har inget innehåll ännu.</p>`}
    ${content && html`
      <h2>Ditt eget mål</h2>
      ${content.own_goal ? html`<p class="own-goal">${content.own_goal}</p>` : html`<p>Inte ifyllt.</p>`}
      <h2>Målen i planen</h2>
      <${GoalList} goals=${content.goals} id="utskrift-mal" />
      <h2>Vem gör vad och när</h2>
      ${content.actions.length === 0 && html`<p>Inget är bestämt ännu.</p>`}
      ${content.actions.length > 0 && html`<table id="vem-gor-vad">
        <caption class="sr-only">Vem gör vad och när</caption>
        <thead><tr><th scope="col">Vem</th><th scope="col">Vad</th><th scope="col">Klart senast</th><th scope="col">Läge</th></tr></thead>
        <tbody>${byParty(content.actions).map(([oid, rows]) => rows.map(({ action: a }) => html`<tr>
          <td>${names.org(oid)}${a.responsible.person_id && names.person(a.responsible.person_id) ? html`<br />${names.person(a.responsible.person_id).replace(/\s*\(.*\)$/, '')}` : ''}</td>
          <td>${a.what}</td><td>${a.due_on ? fmtDate(a.due_on) : 'Inget datum'}</td><td>${PLAIN_STATUS[a.status] || ''}</td>
        </tr>`))}</tbody>
      </table>`}
      <h2>Vem har det övergripande ansvaret</h2>
      <p id="utskrift-ansvar">${content.overall
        ? `${names.org(content.overall.organisation_id)}${content.overall.person_id && names.person(content.overall.person_id) ? `, ${names.person(content.overall.person_id).replace(/\s*\(.*\)$/, '')}` : ''}. De ser till att planen följs och kallar till uppföljning.`
        : 'Inte bestämt ännu.'}</p>
      <h2>Nästa gemensamma uppföljning</h2>
      <p id="utskrift-uppfoljning">${content.follow_up_on ? `Vi träffas igen och går igenom planen senast ${fmtDate(content.follow_up_on)}.` : 'Inget datum är bestämt ännu.'}</p>
      <h2>Så når du oss</h2>
      <${Contacts} content=${content} names=${names} />`}
  </div>`;
}
