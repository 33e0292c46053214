// Meetings: my meetings with my answers, one meeting with everyone's answers (live), and the
// meetings of a case on its page.

import { html, useState, useRef, useEffect } from '../lib.js';
import { api } from '../api.js';
import {
  useTitle, useLoad, useLive, Loading, LoadError, announce, answerText, fmt, fmtWhen, fmtDay, fmtClock, PURPOSES,
} from '../ui.js';
import { MoveDialog, InviteDialog, CancelDialog, lastWarnings } from './meeting-form.js';

const ANSWER_BUTTONS = [['accepted', 'Tacka ja'], ['tentative', 'Svara kanske'], ['declined', 'Tacka nej']];
const ANSWER_NEWS = { accepted: 'Du har tackat ja.', tentative: 'Du har svarat kanske.', declined: 'Du har tackat nej.' };

const mine = (m, user) => m.participants.find((p) => p.user_id === user.id);
const countsText = (a) => `${a.accepted} kommer, ${a.tentative} kanske, ${a.declined} kommer inte, ${a.unanswered} har inte svarat`;

/** Accept, tentative, decline: the current answer is the pressed button. */
function AnswerButtons({ meeting, user, onAnswered, context = '' }) {
  const [error, setError] = useState(null);
  const me = mine(meeting, user);
  const answer = (value) => async () => {
    setError(null);
    try {
      const changed = await api('POST', `/api/meetings/${meeting.id}/answer`, { answer: value });
      announce(ANSWER_NEWS[value]);
      onAnswered(changed);
    } catch (err) {
      setError(err.message);
    }
  };
  return html`<div class="row-actions answer-buttons" role="group" aria-label=${`Mitt svar${context}`}>
    ${ANSWER_BUTTONS.map(([value, text]) => html`<button type="button" aria-pressed=${me && me.answer === value ? 'true' : 'false'}
      onClick=${answer(value)}>${text}${context && html`<span class="sr-only">${context}</span>`}</button>`)}
    ${error && html`<p class="error" role="alert">${error}</p>`}
  </div>`;
}

/** The meetings I organise or am invited to, from today on, with my answer. */
export function MyMeetingsPage({ user }) {
  useTitle('Mina möten');
  const [{ loading, data, error }, reload] = useLoad((background) => api('GET', '/api/meetings?include_cancelled=true&limit=200', undefined, { background }), []);
  const known = useRef(null);
  useLive((e) => {
    if (e.type.startsWith('meeting.') || e.type === 'access_revoked') reload(true);
  });
  useEffect(() => {
    if (!data) return;
    const ids = new Set(data.items.map((m) => m.id));
    if (known.current) {
      const fresh = data.items.filter((m) => !known.current.has(m.id) && m.organiser_user_id !== user.id);
      if (fresh.length) announce(fresh.length === 1 ? 'Du har fått en ny mötesinbjudan.' : `Du har fått ${fresh.length} nya mötesinbjudningar.`);
    }
    known.current = ids;
  }, [data]);
  const items = data ? data.items : [];
  const upcoming = items.filter((m) => m.status === 'scheduled').length;
  const waiting = items.filter((m) => m.status === 'scheduled' && (mine(m, user) || {}).answer == null).length;
  return html`<h1 tabindex="-1">Mina möten</h1>
    <p>Möten som du har kallat till eller är inbjuden till, från i dag och framåt. Se också <a href="#/kalender">kalendern</a>.</p>
    ${data && html`<ul class="counters" aria-live="polite" aria-atomic="true">
      <li><span class="count" id="antal-moten">${upcoming}</span> ${upcoming === 1 ? 'kommande möte' : 'kommande möten'}</li>
      <li><span class="count" id="antal-obesvarade">${waiting}</span> väntar på ditt svar</li>
    </ul>`}
    ${loading && html`<${Loading} />`}
    ${error && html`<${LoadError} error=${error} />`}
    ${data && items.length === 0 && html`<p class="empty" role="status">Du har inga kommande möten.</p>`}
    ${items.length > 0 && html`<table id="mina-moten">
      <caption class="sr-only">Mina möten</caption>
      <thead><tr><th scope="col">Tid</th><th scope="col">Möte</th><th scope="col">Plats</th><th scope="col">Kallat av</th><th scope="col">Mitt svar</th></tr></thead>
      <tbody>${items.map((m) => {
        const me = mine(m, user);
        const organiser = m.organiser_user_id === user.id;
        const when = `${fmtDay(m.starts_at)} kl. ${fmtClock(m.starts_at)}`;
        return html`<tr key=${m.id} data-meeting=${m.id} class=${m.status === 'scheduled' && me && me.answer == null ? 'unread' : ''}>
          <td>${fmtDay(m.starts_at)}<br />kl. ${fmtClock(m.starts_at)}–${fmtClock(m.ends_at)}</td>
          <td><a href=${`#/moten/${m.id}`}>${m.kind_label}</a>${m.status === 'cancelled' ? html` <span class="flag">Inställt</span>` : ''}</td>
          <td>${m.place || (m.video_link ? 'Videomöte' : '–')}</td>
          <td>${organiser ? 'Du' : `${m.organiser_name}, ${m.organiser_organisation_name}`}</td>
          <td>${m.status === 'cancelled' && '–'}
            ${m.status === 'scheduled' && organiser && html`Du har kallat. <span class="hint">${countsText(m.answers)}.</span>`}
            ${m.status === 'scheduled' && !organiser && me && html`<p class="my-answer">${answerText(me.answer)}</p>
              <${AnswerButtons} meeting=${m} user=${user} context=${` till ${m.kind_label} ${when}`} onAnswered=${() => reload(true)} />`}
          </td>
        </tr>`;
      })}</tbody>
    </table>`}`;
}

/** One meeting: when and where, everyone's answers (live), my answer, the organiser's actions. */
export function MeetingPage({ user, id }) {
  const [{ loading, data, error }, reload] = useLoad((background) => api('GET', `/api/meetings/${id}`, undefined, { background }), [id]);
  const [notice, setNotice] = useState(() => {
    const kept = lastWarnings.get(id);
    lastWarnings.delete(id);
    return kept || null;
  });
  const [dialog, setDialog] = useState(null);
  const before = useRef(null);
  useTitle(data ? `${data.kind_label}` : 'Möte');
  useLive((e) => {
    if (e.subject_id === id || (data && data.case_id && e.case_id === data.case_id && e.type === 'access_revoked')) reload(true);
  }, [id, data && data.case_id]);
  useEffect(() => {
    // Say what changed when it came from someone else.
    if (!data) return;
    const prev = before.current;
    before.current = data;
    if (!prev || prev.id !== data.id) return;
    if (prev.status !== data.status && data.status === 'cancelled') announce('Mötet har ställts in.');
    else if (prev.starts_at !== data.starts_at || prev.place !== data.place || prev.video_link !== data.video_link) announce('Mötet har ändrats.');
    for (const p of data.participants) {
      const old = prev.participants.find((q) => q.user_id === p.user_id);
      if (p.user_id !== user.id && old && old.answer !== p.answer) announce(`${p.name} har svarat: ${answerText(p.answer).toLowerCase()}.`);
      if (!old) announce(`${p.name} är inbjuden.`);
    }
  }, [data]);
  if (loading) return html`<h1 tabindex="-1">Möte</h1><${Loading} />`;
  if (error) return html`<h1 tabindex="-1">Möte</h1><${LoadError} error=${error} /><p><a href="#/moten">Till mina möten</a></p>`;
  const m = data;
  const organiser = m.organiser_user_id === user.id;
  const me = mine(m, user);
  const scheduled = m.status === 'scheduled';
  const nameOf = (uid) => (m.participants.find((p) => p.user_id === uid) || {}).name || 'En deltagare';
  // One line per person double-booked (`double_booked`), whatever the number of other meetings.
  const clashes = [];
  for (const w of (notice && notice.warnings) || []) {
    const entry = clashes.find(([uid]) => uid === w.user_id);
    if (entry) entry[1].push(w.meeting_id || null);
    else clashes.push([w.user_id, [w.meeting_id || null]]);
  }
  const changed = (news) => (next) => {
    setDialog(null);
    setNotice({ news, warnings: next.warnings || [] });
    announce(news);
    reload(true);
  };
  return html`<h1 tabindex="-1">${m.kind_label}${scheduled ? '' : ' (inställt)'}</h1>
    ${notice && html`<div class="notice" role="status" id="mote-besked">
      <p>${notice.news}</p>
      ${clashes.length > 0 && html`<p><strong>Observera:</strong></p><ul>
        ${clashes.map(([uid, others]) => html`<li>${nameOf(uid)} är redan bokad på ${others.length > 1 ? `${others.length} andra möten` : 'ett annat möte'} den tiden${others.some(Boolean) ? html` (${others.filter(Boolean).map((mid, i) => html`${i ? ', ' : ''}<a href=${`#/moten/${mid}`}>${others.length > 1 ? `möte ${i + 1}` : 'det andra mötet'}</a>`)})` : ''}. Mötet är ändå bokat.</li>`)}
      </ul>`}
    </div>`}
    <div class="status-box" id="mote-status" tabindex="-1">
      <p><strong>Status:</strong> <span class="state">${scheduled ? 'Planerat' : 'Inställt'}</span></p>
      ${!scheduled && m.cancelled_at && html`<p>Inställt ${fmt(m.cancelled_at)}.</p>`}
    </div>
    <dl class="facts">
      <dt>Tid</dt><dd id="mote-tid">${fmtWhen(m.starts_at, m.ends_at)}</dd>
      <dt>Plats</dt><dd>${m.place || '–'}</dd>
      ${m.video_link && html`<dt>Videolänk</dt><dd><a href=${m.video_link} rel="noopener noreferrer">${m.video_link}</a></dd>`}
      <dt>Kallat av</dt><dd>${organiser ? 'Du' : `${m.organiser_name}, ${m.organiser_organisation_name}`}</dd>
      <dt>Ändamål</dt><dd>${PURPOSES[m.purpose] || m.purpose}</dd>
      ${m.case_id && html`<dt>Ärende</dt><dd><a href=${`#/arenden/${m.case_id}`}>Till ärendet</a></dd>`}
      ${!m.case_id && m.kind === 'finsamteam_mote' && html`<dt>Dagordning</dt><dd><a href=${`#/finsam/moten/${m.id}`}>Till teammötets dagordning</a></dd>`}
    </dl>
    ${scheduled && me && !organiser && html`<section aria-labelledby="mitt-svar-rubrik">
      <h2 id="mitt-svar-rubrik">Mitt svar</h2>
      <p id="mitt-svar">Du har svarat: <strong>${answerText(me.answer)}</strong></p>
      <${AnswerButtons} meeting=${m} user=${user} onAnswered=${() => reload(true)} />
    </section>`}
    ${scheduled && organiser && html`<div class="actions">
      <button type="button" onClick=${() => setDialog('move')}>Flytta eller ändra plats</button>
      <button type="button" onClick=${() => setDialog('invite')}>Bjud in fler</button>
      <button type="button" onClick=${() => setDialog('cancel')}>Ställ in mötet</button>
    </div>`}
    <section aria-labelledby="deltagare-rubrik">
      <h2 id="deltagare-rubrik">Deltagare och svar</h2>
      <p id="svarsantal" aria-live="polite" aria-atomic="true">${countsText(m.answers)}.</p>
      <table id="deltagare">
        <caption class="sr-only">Deltagare och deras svar</caption>
        <thead><tr><th scope="col">Namn</th><th scope="col">Organisation</th><th scope="col">Svar</th></tr></thead>
        <tbody>
          ${m.participants.map((p) => html`<tr key=${p.user_id}>
            <td>${p.name}${p.organiser ? ' (kallar)' : ''}</td><td>${p.organisation_name}</td>
            <td data-answer=${p.answer || 'none'}>${answerText(p.answer)}</td></tr>`)}
          ${m.external_attendees.map((a) => html`<tr key=${a.id}>
            <td>${a.name}</td><td>Extern, inbjuden med e-post</td><td data-answer=${a.answer || 'none'}>${answerText(a.answer)}</td></tr>`)}
        </tbody>
      </table>
    </section>
    ${dialog === 'move' && html`<${MoveDialog} meeting=${m} onClose=${() => setDialog(null)} onDone=${changed('Mötet är ändrat och deltagarna har fått en ny inbjudan.')} />`}
    ${dialog === 'invite' && html`<${InviteDialog} meeting=${m} user=${user} onClose=${() => setDialog(null)} onDone=${changed('Inbjudningarna är skickade.')} />`}
    ${dialog === 'cancel' && html`<${CancelDialog} meeting=${m} onClose=${() => setDialog(null)} onDone=${changed('Mötet är inställt och deltagarna har fått besked.')} />`}`;
}

/** The case's meetings, on the case page, and a way to book one. */
export function CaseMeetings({ caseId, meetings, user }) {
  const books = user.roles.some((r) => r !== 'org_admin' && r !== 'statistik');
  return html`<section aria-labelledby="moten-rubrik">
    <h2 id="moten-rubrik">Möten</h2>
    ${meetings.length === 0 && html`<p class="empty">Inga möten i ärendet.</p>`}
    ${meetings.length > 0 && html`<ul class="cards" id="arendets-moten">${meetings.map((m) => html`<li key=${m.id}>
      <a href=${`#/moten/${m.id}`}>${m.kind_label}, ${fmtWhen(m.starts_at, m.ends_at)}</a>
      ${m.status === 'cancelled' ? html` <span class="flag">Inställt</span>` : html`<span class="hint">. ${countsText(m.answers)}.</span>`}
    </li>`)}</ul>`}
    ${books && html`<p><a class="button" href=${`#/arenden/${caseId}/moten/nytt`}>Boka möte</a></p>`}
  </section>`;
}
