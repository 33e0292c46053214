// "Våra åtaganden" `#/ataganden`: the open actions of adopted plans that my organisation is
// responsible for, with due and overdue counts (also in the menu, changing live); take one,
// report its status.

import { html, useState, useEffect, useRef } from '../lib.js';
import { api } from '../api.js';
import { subscribe } from '../live.js';
import { useTitle, useLoad, useLive, Loading, LoadError, announce, fmtDate } from '../ui.js';
import { KIND_SHORT, ACTION_STATUS, DueFlag, peopleOf, statusText } from './plan-common.js';
import { StatusDialog } from './plan-dialogs.js';

const isPlanEvent = (e) => e.type.startsWith('plan.') || e.type === 'access_revoked' || e.type.startsWith('consent.');

/** Open, soon and overdue counts of my organisation's commitments, kept current by the stream. */
export function useCommitmentCounts(user, enabled) {
  const [counts, setCounts] = useState(null);
  const last = useRef(null);
  useEffect(() => {
    if (!enabled) return undefined;
    let alive = true;
    const load = async () => {
      try {
        const c = await api('GET', '/api/commitments/counts', undefined, { background: true });
        if (!alive) return;
        if (last.current && c.open > last.current.open) announce('Er organisation har fått ett nytt åtagande i en plan.');
        last.current = c;
        setCounts(c);
      } catch {
        // The badge waits for the next event.
      }
    };
    load();
    const off = subscribe((e) => { if (isPlanEvent(e)) load(); });
    return () => {
      alive = false;
      off();
    };
  }, [user.id, enabled]);
  return counts;
}

const FILTERS = [['all', 'Alla öppna', ''], ['soon', 'Snart', '?due=soon'], ['overdue', 'Försenade', '?due=overdue']];

export function CommitmentsPage({ user }) {
  useTitle('Våra åtaganden');
  const [filter, setFilter] = useState('all');
  const [dialog, setDialog] = useState(null);
  const [actionError, setActionError] = useState(null);
  const query = (FILTERS.find((f) => f[0] === filter) || FILTERS[0])[2];
  const [{ loading, data, error }, reload] = useLoad(async (background) => {
    const [list, counts, people, cases] = await Promise.all([
      api('GET', `/api/commitments${query}`, undefined, { background }),
      api('GET', '/api/commitments/counts', undefined, { background }),
      peopleOf(user.organisation_id),
      api('GET', '/api/cases?limit=200', undefined, { background }).catch(() => ({ items: [] })),
    ]);
    return { list, counts, people, cases: cases.items || [] };
  }, [filter]);
  useLive((e) => { if (isPlanEvent(e)) reload(true); }, [filter]);
  const person = (pid) => ((data && data.people.find((p) => p.id === pid)) || {}).display_name || (pid === user.id ? user.display_name : null);
  const take = (item) => async () => {
    setActionError(null);
    try {
      await api('POST', `/api/plans/${item.plan_id}/actions/${item.action.id}/take`);
      announce('Du har tagit åtagandet.');
      reload(true);
    } catch (err) {
      setActionError(err.message);
    }
  };
  const individual = (cid) => ((data && data.cases.find((k) => k.id === cid)) || {}).individual_name;
  const items = data ? data.list.items : [];
  const c = data && data.counts;
  return html`<h1 tabindex="-1">Våra åtaganden</h1>
    <p>Insatser i fastställda planer som ${user.organisation_name} ansvarar för. Den som tar ett åtagande blir ansvarig person; status rapporteras av er organisation och syns för planens ägare.</p>
    ${c && html`<ul class="counters" id="ataganden-raknare" aria-live="polite" aria-atomic="true">
      <li><span class="count" id="antal-oppna">${c.open}</span> öppna</li>
      <li><span class="count" id="antal-snart">${c.soon}</span> snart</li>
      <li><span class="count" id="antal-forsenade-ataganden">${c.overdue}</span> försenade</li>
    </ul>`}
    <div class="filters" role="group" aria-label="Visa">
      ${FILTERS.map(([key, label]) => html`<button type="button" aria-pressed=${filter === key ? 'true' : 'false'} onClick=${() => setFilter(key)}>${label}</button>`)}
    </div>
    ${actionError && html`<div class="notice error-notice" role="alert"><p>${actionError}</p></div>`}
    ${loading && html`<${Loading} />`}
    ${error && html`<${LoadError} error=${error} />`}
    ${data && items.length === 0 && html`<p class="empty" role="status">Inga åtaganden att visa.</p>`}
    ${data && items.length > 0 && html`<table id="ataganden">
      <caption class="sr-only">Våra åtaganden</caption>
      <thead><tr><th scope="col">Insats</th><th scope="col">Plan och individ</th><th scope="col">Klart senast</th><th scope="col">Status</th><th scope="col">Ansvarig person</th><th scope="col"><span class="sr-only">Åtgärder</span></th></tr></thead>
      <tbody>${items.map((item) => {
        const a = item.action;
        const who = item.taken_by || a.responsible.person_id;
        return html`<tr data-action=${a.id}>
          <td>${a.what}</td>
          <td><a href=${`#/planer/${item.plan_id}`}>${KIND_SHORT[item.plan_kind] || item.plan_kind}${individual(item.case_id) ? ` för ${individual(item.case_id)}` : ''}</a></td>
          <td>${fmtDate(a.due_on)}<${DueFlag} action=${{ ...a, due: item.due }} /></td>
          <td><span class="state" data-status=${a.status}>${statusText(a)}</span></td>
          <td>${(who && person(who)) || html`<span class="hint">Ingen har tagit det</span>`}</td>
          <td><div class="row-actions">
            ${who !== user.id && html`<button type="button" onClick=${take(item)}>Ta åtagandet<span class="sr-only"> ${a.what}</span></button>`}
            <button type="button" onClick=${() => setDialog(item)}>Ändra status<span class="sr-only"> för ${a.what}</span></button>
          </div></td>
        </tr>`;
      })}</tbody>
    </table>`}
    ${dialog && html`<${StatusDialog} planId=${dialog.plan_id} action=${dialog.action} onClose=${() => setDialog(null)}
      onDone=${async (a) => { setDialog(null); announce(`Insatsen har status ${ACTION_STATUS[a.status]}.`); await reload(true); }} />`}`;
}
