import { html, useState, useRef } from '../lib.js';
import { api } from '../api.js';
import {
  Field, Select, ErrorSummary, useForm, useTitle, useLoad, Loading, LoadError, ACTIONS, fmt, fmtPnr,
} from '../ui.js';

function AuditTable({ entries, extract }) {
  return html`<table class="audit">
    <caption class="sr-only">Loggposter</caption>
    <thead><tr><th scope="col">Tid</th><th scope="col">Organisation</th><th scope="col">Användare</th><th scope="col">Vad</th><th scope="col">Utfall</th>
      ${!extract && html`<th scope="col">Individ</th>`}</tr></thead>
    <tbody>${entries.map((e) => html`<tr>
      <td>${fmt(e.at)}</td><td>${e.organisation_name || '–'}</td><td>${e.user_name || (e.roles === 'system' ? 'Systemet' : '–')}</td>
      <td>${ACTIONS[e.action] || e.action}${e.purpose ? ` (${e.purpose})` : ''}${e.consent_id ? ', med stöd av samtycke' : ''}</td>
      <td>${e.outcome === 'denied' ? 'Nekad' : 'Tillåten'}</td>
      ${!extract && html`<td>${e.individual_id ? html`<a href=${`#/admin/loggutdrag/${e.individual_id}`}>Loggutdrag<span class="sr-only"> för individen i loggpost ${e.seq}</span></a>` : '–'}</td>`}
    </tr>`)}</tbody>
  </table>`;
}

export function AuditPage() {
  useTitle('Åtkomstlogg');
  const [{ data: users }] = useLoad(() => api('GET', '/api/users?limit=200'), []);
  const [query, setQuery] = useState('');
  const [{ loading, data, error }] = useLoad(() => api('GET', `/api/audit?limit=100${query}`), [query]);
  const { errors, setErrors } = useForm();
  const form = useRef(null);
  const submit = (e) => {
    e.preventDefault();
    const d = new FormData(form.current);
    const params = new URLSearchParams();
    const local = {};
    for (const key of ['user_id', 'action']) if (d.get(key)) params.set(key, d.get(key));
    const caseId = String(d.get('case_id') || '').trim();
    if (caseId && !/^[0-9a-f-]{36}$/i.test(caseId)) local.case_id = 'Ange ärendets id (36 tecken).';
    else if (caseId) params.set('case_id', caseId);
    if (d.get('from')) params.set('from', `${d.get('from')}T00:00:00Z`);
    if (d.get('to')) params.set('to', `${d.get('to')}T23:59:59Z`);
    setErrors(local);
    if (Object.keys(local).length) return;
    const text = params.toString();
    setQuery(text ? `&${text}` : '');
  };
  const userList = users ? users.items || users : [];
  const entries = Array.isArray(data) ? data : (data && data.items) || [];
  return html`<h1 tabindex="-1">Åtkomstlogg</h1>
    <p>Sök bland organisationens loggposter. Välj <em>Loggutdrag</em> på en rad för att se allt som loggats om den individen.</p>
    <${ErrorSummary} errors=${errors} labels=${{ case_id: 'Ärende-id' }} />
    <form ref=${form} onSubmit=${submit} novalidate class="search" aria-label="Sök i loggen">
      <${Select} name="user_id" label="Användare" options=${[['', 'Alla'], ...userList.map((u) => [u.id, u.display_name])]} />
      <${Select} name="action" label="Händelse" options=${[['', 'Alla'], ...Object.entries(ACTIONS)]} />
      <${Field} name="case_id" label="Ärende-id" error=${errors.case_id} autocomplete="off" />
      <${Field} name="from" label="Från och med" type="date" />
      <${Field} name="to" label="Till och med" type="date" />
      <button type="submit" class="primary">Sök</button>
    </form>
    ${loading && html`<${Loading} />`}
    ${error && html`<${LoadError} error=${error} />`}
    ${data && entries.length === 0 && html`<p class="empty" role="status">Inga loggposter matchar sökningen.</p>`}
    ${data && entries.length > 0 && html`<p role="status">${entries.length} loggposter visas.</p><${AuditTable} entries=${entries} />`}`;
}

export function ExtractPage({ individualId }) {
  useTitle('Loggutdrag');
  const [{ loading, data, error }] = useLoad(async () => {
    const [extract, individual] = await Promise.all([
      api('GET', `/api/individuals/${individualId}/access-log`),
      api('GET', `/api/individuals/${individualId}`).catch(() => null),
    ]);
    return { ...extract, individual };
  }, [individualId]);
  return html`<h1 tabindex="-1">Loggutdrag</h1>
    <p class="no-print"><a href="#/admin/logg">Till åtkomstloggen</a></p>
    ${loading && html`<${Loading} />`}
    ${error && html`<${LoadError} error=${error} />`}
    ${data && data.individual && html`<dl class="facts"><dt>Individ</dt><dd>${data.individual.name}</dd><dt>Personnummer</dt><dd>${fmtPnr(data.individual.personnummer)}</dd></dl>`}
    ${data && html`<p>Utdrag ur loggen över vilka organisationer och användare som har läst eller ändrat individens uppgifter.
        Skapat ${fmt(data.generated_at)}. Individ-id: ${data.individual_id}.</p>
      <p class="no-print"><button type="button" class="primary" onClick=${() => window.print()}>Skriv ut loggutdraget</button></p>
      ${data.entries.length === 0 ? html`<p class="empty">Inga åtkomster är loggade.</p>` : html`<${AuditTable} entries=${data.entries} extract />`}`}`;
}
