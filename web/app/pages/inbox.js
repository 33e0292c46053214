import { html, useState } from '../lib.js';
import { api } from '../api.js';
import { useTitle, useLoad, useLive, Loading, LoadError, STATES, fmtDate, fmtPnr } from '../ui.js';

const FILTERS = [
  ['open', 'Att besvara', ''],
  ['unread', 'Oöppnade', '&state=sent'],
  ['overdue', 'Försenade', '&overdue=true'],
  ['mine', 'Tilldelade mig', '&assignee=me'],
  ['all', 'Alla', ''],
];

const OUTBOX_FILTERS = [
  ['open', 'Väntar på svar', ''],
  ['answered', 'Besvarade', '&state=answered'],
  ['overdue', 'Försenade', '&overdue=true'],
  ['drafts', 'Utkast', '&state=draft'],
  ['all', 'Alla', ''],
];

/** The clinic's inbox, or (`outbox`) the inquiries my organisation has sent. */
export function InboxPage({ outbox = false }) {
  const title = outbox ? 'Skickade förfrågningar' : 'Inkorg';
  useTitle(title);
  const filters = outbox ? OUTBOX_FILTERS : FILTERS;
  const [filter, setFilter] = useState('open');
  const query = (filters.find((f) => f[0] === filter) || filters[0])[2];
  const box = outbox ? 'outbox' : 'inbox';
  const [{ loading, data, error }, reload] = useLoad(async (background) => {
    const [list, counts] = await Promise.all([
      api('GET', `/api/inquiries?box=${box}&limit=200${query}`, undefined, { background }),
      api('GET', '/api/inquiries/counts', undefined, { background }),
    ]);
    return { list, counts };
  }, [filter, box]);
  useLive((e) => {
    if (e.type.startsWith('inquiry.') || e.type.startsWith('consent.') || e.type === 'access_revoked') reload(true);
  }, [filter, box]);
  const waiting = ['sent', 'received', 'assigned'];
  const items = data ? data.list.items.filter((q) => filter !== 'open' || waiting.includes(q.state)) : [];
  const c = data && data.counts[box];
  return html`<h1 tabindex="-1">${outbox ? 'Skickade rehabiliteringsförfrågningar' : 'Inkorg: rehabiliteringsförfrågningar'}</h1>
    ${c && html`<ul class="counters" id=${`${box}-raknare`} aria-live="polite" aria-atomic="true">
      ${!outbox && html`<li><span class="count" id="antal-olasta">${c.unread}</span> oöppnade</li>`}
      <li><span class="count" id="antal-forsenade">${c.overdue}</span> försenade</li>
      <li><span class="count">${c.unread_thread_posts}</span> ${outbox ? 'nya svar i trådar' : 'nya följdfrågor'}</li>
    </ul>`}
    <div class="filters" role="group" aria-label="Visa">
      ${filters.map(([key, label]) => html`<button type="button" aria-pressed=${filter === key ? 'true' : 'false'} onClick=${() => setFilter(key)}>${label}</button>`)}
    </div>
    ${loading && html`<${Loading} />`}
    ${error && html`<${LoadError} error=${error} />`}
    ${data && items.length === 0 && html`<p class="empty" role="status">Inga förfrågningar att visa.</p>`}
    ${data && items.length > 0 && html`<table id=${outbox ? 'utkorg' : 'inkorg'}>
      <caption class="sr-only">${title}</caption>
      <thead><tr><th scope="col">Individ</th><th scope="col">Personnummer</th><th scope="col">${outbox ? 'Till' : 'Från'}</th><th scope="col">Skickad</th><th scope="col">Svar senast</th><th scope="col">Status</th><th scope="col">Handläggs av</th></tr></thead>
      <tbody>${items.map((q) => html`<tr class=${q.opened || outbox ? '' : 'unread'}>
        <td><a href=${`#/forfragningar/${q.id}`}>${q.individual_name}</a>${q.opened || outbox ? '' : html` <span class="flag new">Ny</span>`}</td>
        <td>${fmtPnr(q.personnummer)}</td><td>${outbox ? q.recipient_organisation_name : q.sender_organisation_name}</td><td>${fmtDate(q.sent_at)}</td>
        <td>${fmtDate(q.answer_by)}${q.overdue ? html` <span class="flag">Försenad</span>` : ''}</td>
        <td>${STATES[q.state]}</td><td>${q.assignee_name || '–'}</td>
      </tr>`)}</tbody>
    </table>`}`;
}
