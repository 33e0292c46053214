// The meeting calendar: four weeks of my meetings, week by week and day by day, moved a
// week at a time with buttons; focus stays on the button and the period line (a live
// region) says which weeks are shown.

import { html, useState } from '../lib.js';
import { api } from '../api.js';
import { useTitle, useLoad, useLive, Loading, LoadError, answerText, fmtClock } from '../ui.js';

const WEEKS = 4;
const DAY = 86400000;

/** Monday 00:00 (local time) of the week `offset` weeks from this one. */
function weekStart(offset) {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  d.setDate(d.getDate() - ((d.getDay() + 6) % 7) + offset * 7);
  return d;
}

function addDays(d, n) {
  const next = new Date(d);
  next.setDate(next.getDate() + n);
  return next;
}

/** ISO 8601 week: [year, week]. */
export function isoWeek(d) {
  const t = new Date(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const year = t.getUTCFullYear();
  return [year, Math.ceil(((t - Date.UTC(year, 0, 1)) / DAY + 1) / 7)];
}

const pad = (n) => String(n).padStart(2, '0');
const isoDate = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const PLAN_KIND_NAMES = { sip: 'SIP', progressionsplan: 'progressionsplan', finsam: 'gemensam plan', rehabplan: 'rehabplan' };
const dayKey = (d) => `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
const dayName = new Intl.DateTimeFormat('sv-SE', { weekday: 'long', day: 'numeric', month: 'long' });
const shortDate = new Intl.DateTimeFormat('sv-SE', { day: 'numeric', month: 'long' });
const capital = (s) => s.charAt(0).toUpperCase() + s.slice(1);

export function CalendarPage({ user }) {
  useTitle('Kalender');
  const [offset, setOffset] = useState(0);
  const first = weekStart(offset);
  const end = addDays(first, WEEKS * 7);
  const [{ loading, data, error }, reload] = useLoad(async (background) => {
    const [meetings, followUps] = await Promise.all([
      api('GET', `/api/meetings?from=${encodeURIComponent(first.toISOString())}&to=${encodeURIComponent(end.toISOString())}&limit=200`,
        undefined, { background }),
      api('GET', `/api/plan-follow-ups?from=${isoDate(first)}&to=${isoDate(addDays(end, -1))}`, undefined, { background })
        .catch(() => ({ items: [] })),
    ]);
    return { items: meetings.items, followUps: followUps.items };
  }, [offset]);
  useLive((e) => {
    if (e.type.startsWith('meeting.') || e.type.startsWith('plan.') || e.type === 'access_revoked') reload(true);
  }, [offset]);
  const [y1, w1] = isoWeek(first);
  const [, w4] = isoWeek(addDays(first, (WEEKS - 1) * 7));
  const today = dayKey(new Date());
  const weeks = Array.from({ length: WEEKS }, (_, i) => {
    const start = addDays(first, i * 7);
    const [year, week] = isoWeek(start);
    const days = Array.from({ length: 7 }, (__, j) => addDays(start, j)).map((d) => ({
      date: d,
      meetings: (data ? data.items : []).filter((m) => dayKey(new Date(m.starts_at)) === dayKey(d)),
      followUps: (data ? data.followUps : []).filter((f) => f.follow_up_on === isoDate(d)),
    })).filter((d) => d.meetings.length + d.followUps.length > 0);
    return { start, year, week, days };
  });
  return html`<h1 tabindex="-1">Kalender</h1>
    <p>Dina möten och planernas gemensamma uppföljningar vecka för vecka, fyra veckor i taget. Inställda möten visas inte.</p>
    <p><a class="button" href="#/kalender/nytt-mote">Boka möte utan ärende</a></p>
    <div class="actions calendar-nav" role="group" aria-label="Byt vecka">
      <button type="button" onClick=${() => setOffset(offset - 1)}>Föregående vecka</button>
      <button type="button" onClick=${() => setOffset(0)} aria-pressed=${offset === 0 ? 'true' : 'false'}>Den här veckan</button>
      <button type="button" onClick=${() => setOffset(offset + 1)}>Nästa vecka</button>
    </div>
    <p id="kalender-period" aria-live="polite" aria-atomic="true"><strong>Vecka ${w1}–${w4} ${y1}</strong>: ${shortDate.format(first)} – ${shortDate.format(addDays(end, -1))}</p>
    ${loading && html`<${Loading} />`}
    ${error && html`<${LoadError} error=${error} />`}
    ${data && html`<div class="calendar">${weeks.map(({ start, year, week, days }) => html`<section
        class="week" id=${`vecka-${year}-${week}`} aria-labelledby=${`vecka-${year}-${week}-rubrik`} key=${`${year}-${week}`}>
      <h2 id=${`vecka-${year}-${week}-rubrik`}>Vecka ${week} <span class="hint">(${shortDate.format(start)} – ${shortDate.format(addDays(start, 6))})</span></h2>
      ${days.length === 0 && html`<p class="empty">Inga möten den här veckan.</p>`}
      ${days.length > 0 && html`<ol class="days">${days.map((d) => html`<li class=${dayKey(d.date) === today ? 'day today' : 'day'}>
        <h3>${capital(dayName.format(d.date))}${dayKey(d.date) === today ? ' (i dag)' : ''}</h3>
        <ul class="plain">${d.followUps.map((f) => html`<li class="calendar-item follow-up">
            <span class="time">Hela dagen</span>
            <a href=${`#/planer/${f.plan_id}`}>Uppföljning av ${PLAN_KIND_NAMES[f.plan_kind] || 'plan'}</a>
            <span class="hint">Gemensam uppföljning av planen</span>
          </li>`)}${d.meetings.map((m) => {
          const me = m.participants.find((p) => p.user_id === user.id);
          return html`<li class="calendar-item">
            <span class="time">${fmtClock(m.starts_at)}–${fmtClock(m.ends_at)}</span>
            <a href=${`#/moten/${m.id}`}>${m.kind_label}</a>
            <span class="hint">${m.place || (m.video_link ? 'Videomöte' : '')}${m.organiser_user_id === user.id ? '. Du kallar' : `. ${answerText(me && me.answer)}`}</span>
          </li>`;
        })}</ul>
      </li>`)}</ol>`}
    </section>`)}</div>`}`;
}
