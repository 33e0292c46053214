// Fördjupad samverkan's lists: the rehabansvarig's caseload (`#/fordjupad`) with filters by
// partner clinic, social worker and phase, the days since anything happened highlighted and the
// open escalations flagged; and the escalated follow-ups (`#/fordjupad/eskalerade`) that the
// biträdande enhetschef takes over: book the avstämning in the case, or clear it with a note.

import { html, useState, useRef, useEffect } from '../lib.js';
import { api } from '../api.js';
import { subscribe } from '../live.js';
import {
  Field, Select, ErrorSummary, Dialog, useForm, useTitle, useLoad, useLive, Loading, LoadError, announce,
  organisations, fmt, fmtDate,
} from '../ui.js';
import { peopleOf } from './plan-common.js';
import {
  DECISIONS, FOLLOW_UP_KINDS, FOLLOW_UP_SHORT, scaleOf, categoryText, phaseText, IdleDays,
} from './fordjupad-common.js';

// The scheduler's escalations reach the people told as `notification.created`; the rest of
// fördjupad samverkan as its own events, the plan's and the meetings' (a booked meeting acts on
// a case and clears its escalations).
const isFordjupad = (e) => ['fordjupad.', 'plan.', 'meeting.'].some((p) => e.type.startsWith(p))
  || e.type === 'access_revoked' || e.type === 'notification.created';
const items = (list) => (Array.isArray(list) ? list : (list && list.items) || []);

/** Open escalations of my organisation, for the menu badge; kept current live. */
export function useEscalationCount(user, enabled) {
  const [count, setCount] = useState(null);
  useEffect(() => {
    if (!enabled) return undefined;
    let alive = true;
    const load = async () => {
      try {
        const list = await api('GET', '/api/fordjupad/escalations?limit=200', undefined, { background: true });
        if (alive) setCount(items(list).length);
      } catch {
        // The badge waits for the next event.
      }
    };
    load();
    const off = subscribe((e) => { if (isFordjupad(e)) load(); });
    return () => {
      alive = false;
      off();
    };
  }, [user.id, enabled]);
  return count;
}

const PARTNER_KINDS = ['vardcentral', 'psykiatri', 'jobbtorg'];

async function loadFilters(user) {
  const [orgs, people] = await Promise.all([organisations(), peopleOf(user.organisation_id)]);
  return {
    partners: orgs.filter((o) => o.id !== user.organisation_id && PARTNER_KINDS.includes(o.kind)),
    workers: people.filter((p) => !p.roles || p.roles.includes('socialsekreterare')),
  };
}

function EscalationFlags({ row }) {
  const open = row.escalations || row.open_follow_ups || [];
  if (!open.length) return '–';
  return html`<ul class="plain">${open.map((e) => html`<li><span class="flag" title=${FOLLOW_UP_KINDS[e.kind]}>${FOLLOW_UP_SHORT[e.kind] || e.kind}</span>
    <span class="hint"> sedan ${fmtDate(e.due_on)}</span></li>`)}</ul>`;
}

/** `#/fordjupad`: every case in fördjupad samverkan I may see, with its filters. */
export function CaseloadPage({ user }) {
  useTitle('Fördjupad samverkan');
  const [filters, setFilters] = useState({ clinic_id: '', social_worker_id: '', phase: '' });
  const query = Object.entries(filters).filter(([, v]) => v !== '').map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
  const path = `/api/fordjupad/caseload?limit=200${query ? `&${query}` : ''}`;
  const [{ loading, data, error }, reload] = useLoad((background) => api('GET', path, undefined, { background }), [path]);
  const [options] = useLoad(() => loadFilters(user), [user.id]);
  useLive((e) => { if (isFordjupad(e)) reload(true); }, [path]);
  const set = (name) => (e) => setFilters({ ...filters, [name]: e.currentTarget.value });
  const rows = items(data);
  const scale = (data && data.phase_scale) || 'jarva';
  const { labels } = scaleOf(scale);
  const lead = user.roles.includes('bitradande_enhetschef') || user.roles.includes('rehabansvarig');
  return html`<h1 tabindex="-1">Fördjupad samverkan</h1>
    <p class="ingress">Ärendena i fördjupad samverkan: fas, kategorier på öppna insatser, dagar sedan något hände, nästa uppföljning och eskaleringar.</p>
    ${lead && html`<p><a href="#/fordjupad/eskalerade">Eskalerade uppföljningar</a>${' · '}<a href="#/statistik/fordjupad">Statistik för fördjupad samverkan</a></p>`}
    <form class="search" aria-label="Filtrera ärendena" onSubmit=${(e) => e.preventDefault()}>
      <${Select} name="clinic_id" label="Delas med mottagning" value=${filters.clinic_id} onChange=${set('clinic_id')}
        options=${[['', 'Alla'], ...((options.data && options.data.partners) || []).map((o) => [o.id, o.name])]} />
      <${Select} name="social_worker_id" label="Socialsekreterare" value=${filters.social_worker_id} onChange=${set('social_worker_id')}
        options=${[['', 'Alla'], ...((options.data && options.data.workers) || []).map((p) => [p.id, p.display_name])]} />
      <${Select} name="phase" label="Fas" value=${filters.phase} onChange=${set('phase')}
        options=${[['', 'Alla faser'], ...labels.map((_, n) => [String(n), phaseText(scale, n)])]} />
    </form>
    ${filters.clinic_id && html`<p class="hint" role="status">Visar bara ärenden där samtycket omfattar mottagningen, till uppföljningsmötet med den.</p>`}
    ${loading && html`<${Loading} />`}
    ${error && html`<${LoadError} error=${error} />`}
    ${data && rows.length === 0 && html`<p class="empty" role="status">Inga ärenden med de här filtren.</p>`}
    ${data && rows.length > 0 && html`<div class="table-scroll"><table id="arendelista-fordjupad" class="caseload">
      <caption>Ärenden i fördjupad samverkan (${rows.length})</caption>
      <thead><tr><th scope="col">Individ och ärende</th><th scope="col">Socialsekreterare</th><th scope="col">Beslut</th>
        <th scope="col">Fas</th><th scope="col">Kategorier, öppna insatser</th><th scope="col">Sedan något hände</th>
        <th scope="col">Nästa uppföljning</th><th scope="col">Eskalerat</th></tr></thead>
      <tbody>${rows.map((r) => html`<tr class=${(r.escalations || []).length ? 'escalated' : ''} data-case=${r.case_id}>
        <th scope="row"><a href=${`#/arenden/${r.case_id}`}>${r.individual_name}</a><br /><span class="hint">${r.title}</span></th>
        <td>${r.social_worker_name || '–'}${r.shared ? html`<br /><span class="hint">Delas med oss</span>` : ''}</td>
        <td>${r.decision ? DECISIONS[r.decision] : html`<span class="flag soon">Inväntar beslut</span>`}</td>
        <td>${r.phase === null || r.phase === undefined ? 'Inte bedömd' : html`Fas ${r.phase}${r.phase_label ? html`<br /><span class="hint">${r.phase_label}</span>` : ''}`}</td>
        <td>${(r.categories || []).length ? html`<ul class="plain">${r.categories.map((c) => html`<li>${categoryText(c)}</li>`)}</ul>` : '–'}</td>
        <td><${IdleDays} days=${r.days_idle} /></td>
        <td>${fmtDate(r.next_follow_up_on)}</td>
        <td><${EscalationFlags} row=${r} /></td>
      </tr>`)}</tbody>
    </table></div>`}`;
}

/** The biträdande enhetschef clears an escalation with a note (when booking is not the act). */
function ClearDialog({ escalation, onClose, onDone }) {
  const { errors, setErrors, busy, run } = useForm();
  const form = useRef(null);
  const submit = (e) => {
    e.preventDefault();
    const note = String(new FormData(form.current).get('note') || '').trim();
    if (!note) return setErrors({ note: 'Skriv vad som har gjorts.' });
    run(async () => {
      await api('POST', `/api/fordjupad/escalations/${escalation.id}/clear`, { note });
      onDone();
    });
    return undefined;
  };
  return html`<${Dialog} title="Ta över uppföljningen" onClose=${onClose}>
    <p><strong>${escalation.individual_name}</strong>: ${FOLLOW_UP_KINDS[escalation.kind] || escalation.kind}.</p>
    <form ref=${form} onSubmit=${submit} novalidate>
      <${ErrorSummary} errors=${errors} labels=${{ note: 'Vad har gjorts' }} />
      <${Field} name="note" label="Vad har gjorts" required error=${errors.note} maxlength="500"
        hint="Till exempel att du har kontaktat handläggaren. Eskaleringen försvinner ur listan." />
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>Markera som hanterad</button>
        <button type="button" onClick=${onClose}>Avbryt</button>
      </div>
    </form>
  <//>`;
}

/** `#/fordjupad/eskalerade`: the escalated follow-ups of my organisation, oldest first. */
async function loadEscalations(user, background) {
  const [list, people] = await Promise.all([
    api('GET', '/api/fordjupad/escalations?limit=200', undefined, { background }),
    peopleOf(user.organisation_id),
  ]);
  const name = (id) => (people.find((p) => p.id === id) || {}).display_name;
  return items(list).map((r) => ({ ...r, social_worker_name: name(r.social_worker_id) }));
}

export function EscalationsPage({ user }) {
  useTitle('Eskalerade uppföljningar');
  const [{ loading, data, error }, reload] = useLoad((background) => loadEscalations(user, background), [user.id]);
  const [clearing, setClearing] = useState(null);
  useLive((e) => {
    if (isFordjupad(e)) reload(true);
  }, []);
  const rows = data || [];
  const seen = useRef(null);
  useEffect(() => {
    if (!data) return;
    if (seen.current !== null && data.length > seen.current) announce('En uppföljning har eskalerats till er.');
    seen.current = data.length;
  }, [data]);
  return html`<h1 tabindex="-1">Eskalerade uppföljningar</h1>
    <p class="ingress">Ärenden där inget har hänt på länge eller där ingen avstämning bokades efter rekommendationerna. Uppföljningen ligger hos biträdande enhetschef tills någon agerar: boka avstämningen, bedöm fasen, ändra en insats eller markera den som hanterad.</p>
    <p><a href="#/fordjupad">Till alla ärenden i fördjupad samverkan</a></p>
    ${loading && html`<${Loading} />`}
    ${error && html`<${LoadError} error=${error} />`}
    ${data && rows.length === 0 && html`<p class="empty" role="status" id="inga-eskaleringar">Inga eskalerade uppföljningar.</p>`}
    ${data && rows.length > 0 && html`<table id="eskalerade">
      <caption>Eskalerade uppföljningar (${rows.length})</caption>
      <thead><tr><th scope="col">Individ och ärende</th><th scope="col">Vad</th><th scope="col">Sedan</th>
        <th scope="col"><span class="sr-only">Åtgärder</span></th></tr></thead>
      <tbody>${rows.map((r) => html`<tr data-case=${r.case_id}>
        <th scope="row"><a href=${`#/arenden/${r.case_id}`}>${r.individual_name}</a><br /><span class="hint">${r.title}</span></th>
        <td><span class="flag">${FOLLOW_UP_KINDS[r.kind] || r.kind}</span>${r.social_worker_name ? html`<br /><span class="hint">Handläggare: ${r.social_worker_name}</span>` : ''}</td>
        <td>${fmtDate(r.due_on)}<br /><span class="hint">Eskalerad ${fmt(r.escalated_at)}</span></td>
        <td><div class="row-actions">
          <a class="button" href=${`#/arenden/${r.case_id}/moten/nytt`}>Boka avstämning<span class="sr-only"> för ${r.individual_name}</span></a>
          <button type="button" onClick=${() => setClearing(r)}>Markera som hanterad<span class="sr-only"> för ${r.individual_name}</span></button>
        </div></td>
      </tr>`)}</tbody>
    </table>`}
    ${clearing && html`<${ClearDialog} escalation=${clearing} onClose=${() => setClearing(null)}
      onDone=${() => { setClearing(null); announce('Uppföljningen är markerad som hanterad.'); reload(); }} />`}`;
}
