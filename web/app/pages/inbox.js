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

export function InboxPage() {
  useTitle('Inkorg');
  const [filter, setFilter] = useState('open');
  const query = FILTERS.find((f) => f[0] === filter)[2];
  const [{ loading, data, error }, reload] = useLoad(async (background) => {
    const [list, counts] = await Promise.all([
      api('GET', `/api/inquiries?box=inbox&limit=200${query}`, undefined, { background }),
      api('GET', '/api/inquiries/counts', undefined, { background }),
    ]);
    return { list, counts };
  }, [filter]);
  useLive((e) => {
    if (e.type.startsWith('inquiry.') || e.type.startsWith('consent.') || e.type === 'access_revoked') reload(true);
  }, [filter]);
  const items = data ? data.list.items.filter((q) => filter !== 'open' || ['sent', 'received', 'assigned'].includes(q.state)) : [];
  const c = data && data.counts.inbox;
  return html`<h1 tabindex="-1">Inkorg: rehabiliteringsförfrågningar</h1>
    ${c && html`<ul class="counters" id="inkorg-raknare" aria-live="polite" aria-atomic="true">
      <li><span class="count" id="antal-olasta">${c.unread}</span> oöppnade</li>
      <li><span class="count" id="antal-forsenade">${c.overdue}</span> försenade</li>
      <li><span class="count">${c.unread_thread_posts}</span> nya följdfrågor</li>
    </ul>`}
    <div class="filters" role="group" aria-label="Visa">
      ${FILTERS.map(([key, label]) => html`<button type="button" aria-pressed=${filter === key ? 'true' : 'false'} onClick=${() => setFilter(key)}>${label}</button>`)}
    </div>
    ${loading && html`<${Loading} />`}
    ${error && html`<${LoadError} error=${error} />`}
    ${data && items.length === 0 && html`<p class="empty" role="status">Inga förfrågningar att visa.</p>`}
    ${data && items.length > 0 && html`<table id="inkorg">
      <caption class="sr-only">Förfrågningar i inkorgen</caption>
      <thead><tr><th scope="col">Individ</th><th scope="col">Personnummer</th><th scope="col">Från</th><th scope="col">Skickad</th><th scope="col">Svar senast</th><th scope="col">Status</th><th scope="col">Handläggs av</th></tr></thead>
      <tbody>${items.map((q) => html`<tr class=${q.opened ? '' : 'unread'}>
        <td><a href=${`#/forfragningar/${q.id}`}>${q.individual_name}</a>${q.opened ? '' : html` <span class="flag new">Ny</span>`}</td>
        <td>${fmtPnr(q.personnummer)}</td><td>${q.sender_organisation_name}</td><td>${fmtDate(q.sent_at)}</td>
        <td>${fmtDate(q.answer_by)}${q.overdue ? html` <span class="flag">Försenad</span>` : ''}</td>
        <td>${STATES[q.state]}</td><td>${q.assignee_name || '–'}</td>
      </tr>`)}</tbody>
    </table>`}`;
}
