// The app shell: sign-in, the session's limits, navigation by role, routing, the live stream.

import { html, render, useState, useEffect, useRef } from './lib.js';
import { session, onSession, logout, refresh, endLocally, api } from './api.js';
import { startLive, stopLive, subscribe } from './live.js';
import { Announcer, announce, Dialog, organisations } from './ui.js';
import { LoginPage } from './pages/login.js';
import { CasesPage, NewCasePage } from './pages/cases.js';
import { CasePage } from './pages/case.js';
import { NewInquiryPage, InquiryPage } from './pages/inquiry.js';
import { InboxPage } from './pages/inbox.js';
import { AuditPage, ExtractPage } from './pages/admin.js';
import { UsersPage } from './pages/users.js';
import { MyMeetingsPage, MeetingPage } from './pages/meetings.js';
import { NewMeetingPage } from './pages/meeting-form.js';
import { CalendarPage } from './pages/calendar.js';
import { NewSipCallPage } from './pages/sip-form.js';
import { SipCallPage, SipInboxPage, useSipCount } from './pages/sip.js';
import { PlanPage } from './pages/plan.js';
import { PlanVersionsPage } from './pages/plan-versions.js';
import { PlanPrintPage } from './pages/plan-print.js';
import { CommitmentsPage, useCommitmentCounts } from './pages/commitments.js';
import { StatisticsPage } from './pages/statistics.js';
import { FinsamInboxPage, useFinsamCount, isCoordinator } from './pages/finsam.js';
import { ReferralFormPage } from './pages/finsam-form.js';
import { ReferralPage } from './pages/finsam-referral.js';
import { FinsamMeetingsPage, NewFinsamMeetingPage, FinsamMeetingPage } from './pages/finsam-meeting.js';
import { FinsamStatisticsPage } from './pages/finsam-stats.js';
import { FollowUpsPage } from './pages/finsam-later.js';
import { EffortsPage } from './pages/finsam-efforts.js';
import { CaseloadPage, EscalationsPage, useEscalationCount } from './pages/fordjupad.js';
import { FordjupadFiguresPage } from './pages/fordjupad-stats.js';
import {
  NotificationsPage, NotificationPage, PreferencesPage, useNotificationCount,
} from './pages/notifications.js';

const has = (user, ...roles) => user.roles.some((r) => roles.includes(r));
const worksCases = (user) => user.roles.some((r) => r !== 'org_admin' && r !== 'statistik');
// As the policy's may_read_statistics.
const readsStatistics = (user) => has(user, 'bitradande_enhetschef', 'rehabansvarig', 'finsamkoordinator', 'statistik');
const receivesInquiries = (user) => has(user, 'rehabkoordinator');
const isAdmin = (user) => has(user, 'org_admin');
const sendsInquiries = (user) => has(user, 'socialsekreterare', 'rehabansvarig', 'bitradande_enhetschef');
// The rehabansvarig's caseload and the biträdande enhetschef's escalations (as the policy's
// escalation_scope); the caseload itself answers every caseworker with what they may see.
const leadsFordjupad = (user) => has(user, 'rehabansvarig', 'bitradande_enhetschef');
const takesEscalations = (user) => has(user, 'bitradande_enhetschef');

const everyone = () => true;

// The main menu; `badge` names the count shown beside the line.
const NAV = [
  { href: '#/inkorg', label: 'Inkorg', show: receivesInquiries, badge: 'inbox' },
  { href: '#/arenden', label: 'Ärenden', show: worksCases },
  { href: '#/ataganden', label: 'Våra åtaganden', show: worksCases, badge: 'commitments' },
  { href: '#/utkorg', label: 'Skickade förfrågningar', show: sendsInquiries },
  { href: '#/sip-kallelser', label: 'SIP-kallelser', show: worksCases, badge: 'sip' },
  { href: '#/finsam', label: 'Finsamteam', show: worksCases, badge: 'finsam' },
  { href: '#/moten', label: 'Möten', show: worksCases },
  { href: '#/kalender', label: 'Kalender', show: worksCases },
  { href: '#/fordjupad', label: 'Fördjupad samverkan', show: leadsFordjupad, exact: true },
  { href: '#/fordjupad/eskalerade', label: 'Eskalerade', show: takesEscalations, badge: 'escalations' },
  { href: '#/statistik', label: 'Statistik', show: readsStatistics },
  { href: '#/notiser', label: 'Notiser', show: everyone, badge: 'notices' },
  { href: '#/installningar', label: 'Inställningar', show: everyone },
  { href: '#/admin/anvandare', label: 'Användare', show: isAdmin },
  { href: '#/finsam/insatser', label: 'Insatskatalog', show: (user, kind) => isAdmin(user) && kind === 'samordningsforbund' },
  { href: '#/admin/logg', label: 'Åtkomstlogg', show: isAdmin },
];

function startPage(user) {
  if (receivesInquiries(user)) return '#/inkorg';
  if (isCoordinator(user)) return '#/finsam';
  if (worksCases(user)) return '#/arenden';
  if (readsStatistics(user)) return '#/statistik';
  return '#/admin/anvandare';
}

function route(path, user) {
  const parts = path.split('/').filter(Boolean);
  const [a, b, c, d] = parts;
  if (a === 'arenden' && !b) return html`<${CasesPage} user=${user} />`;
  if (a === 'arenden' && b === 'ny') return html`<${NewCasePage} user=${user} />`;
  if (a === 'arenden' && c === 'forfragan' && d === 'ny') return html`<${NewInquiryPage} user=${user} caseId=${b} />`;
  if (a === 'arenden' && c === 'moten' && d === 'nytt') return html`<${NewMeetingPage} user=${user} caseId=${b} />`;
  if (a === 'arenden' && c === 'sip' && d === 'ny' && worksCases(user)) return html`<${NewSipCallPage} user=${user} caseId=${b} />`;
  if (a === 'arenden' && c === 'finsam' && d === 'ny' && worksCases(user)) return html`<${ReferralFormPage} user=${user} caseId=${b} />`;
  if (a === 'arenden' && b) return html`<${CasePage} user=${user} id=${b} />`;
  if (a === 'finsam' && !b && worksCases(user)) return html`<${FinsamInboxPage} user=${user} />`;
  if (a === 'finsam' && b === 'anmalningar' && c && d === 'andra') return html`<${ReferralFormPage} user=${user} id=${c} />`;
  if (a === 'finsam' && b === 'anmalningar' && c) return html`<${ReferralPage} user=${user} id=${c} />`;
  if (a === 'finsam' && b === 'moten' && !c && worksCases(user)) return html`<${FinsamMeetingsPage} user=${user} />`;
  if (a === 'finsam' && b === 'moten' && c === 'nytt' && isCoordinator(user)) return html`<${NewFinsamMeetingPage} user=${user} />`;
  if (a === 'finsam' && b === 'moten' && c) return html`<${FinsamMeetingPage} user=${user} id=${c} />`;
  if (a === 'finsam' && b === 'uppfoljningar' && isCoordinator(user)) return html`<${FollowUpsPage} user=${user} />`;
  if (a === 'finsam' && b === 'insatser' && (isCoordinator(user) || isAdmin(user))) return html`<${EffortsPage} user=${user} />`;
  if (a === 'finsam' && b === 'statistik' && isCoordinator(user)) return html`<${FinsamStatisticsPage} user=${user} />`;
  if (a === 'sip' && b) return html`<${SipCallPage} user=${user} id=${b} />`;
  if (a === 'sip-kallelser' && worksCases(user)) return html`<${SipInboxPage} user=${user} />`;
  if (a === 'forfragningar' && b) return html`<${InquiryPage} user=${user} id=${b} />`;
  if (a === 'planer' && b && c === 'versioner') return html`<${PlanVersionsPage} user=${user} id=${b} />`;
  if (a === 'planer' && b && c === 'utskrift') return html`<${PlanPrintPage} user=${user} id=${b} />`;
  if (a === 'planer' && b && !c) return html`<${PlanPage} user=${user} id=${b} />`;
  if (a === 'ataganden' && worksCases(user)) return html`<${CommitmentsPage} user=${user} />`;
  if (a === 'inkorg') return html`<${InboxPage} user=${user} />`;
  if (a === 'utkorg') return html`<${InboxPage} user=${user} outbox />`;
  if (a === 'moten' && !b && worksCases(user)) return html`<${MyMeetingsPage} user=${user} />`;
  if (a === 'moten' && b) return html`<${MeetingPage} user=${user} id=${b} />`;
  if (a === 'kalender' && b === 'nytt-mote' && worksCases(user)) return html`<${NewMeetingPage} user=${user} />`;
  if (a === 'kalender' && worksCases(user)) return html`<${CalendarPage} user=${user} />`;
  if (a === 'notiser' && !b) return html`<${NotificationsPage} user=${user} />`;
  if (a === 'notiser' && b) return html`<${NotificationPage} user=${user} id=${b} />`;
  if (a === 'statistik' && b === 'fordjupad' && readsStatistics(user)) return html`<${FordjupadFiguresPage} user=${user} />`;
  if (a === 'statistik' && !b && readsStatistics(user)) return html`<${StatisticsPage} user=${user} />`;
  if (a === 'fordjupad' && !b && worksCases(user)) return html`<${CaseloadPage} user=${user} />`;
  if (a === 'fordjupad' && b === 'eskalerade' && leadsFordjupad(user)) return html`<${EscalationsPage} user=${user} />`;
  if (a === 'installningar') return html`<${PreferencesPage} user=${user} />`;
  if (a === 'admin' && b === 'anvandare') return html`<${UsersPage} user=${user} />`;
  if (a === 'admin' && b === 'logg') return html`<${AuditPage} user=${user} />`;
  if (a === 'admin' && b === 'loggutdrag' && c) return html`<${ExtractPage} user=${user} individualId=${c} />`;
  return null;
}

function useHash() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const fn = () => setHash(location.hash);
    addEventListener('hashchange', fn);
    return () => removeEventListener('hashchange', fn);
  }, []);
  return hash.replace(/^#/, '') || '/';
}

/** Unread and overdue inquiries for the menu badge, kept current by the stream. */
function useInboxCounts(user) {
  const [counts, setCounts] = useState(null);
  const last = useRef(null);
  useEffect(() => {
    if (!receivesInquiries(user)) return undefined;
    let alive = true;
    const load = async (background) => {
      try {
        const c = await api('GET', '/api/inquiries/counts', undefined, { background });
        if (!alive) return;
        if (last.current && c.inbox.unread > last.current.inbox.unread) announce('En ny rehabiliteringsförfrågan har kommit till inkorgen.');
        last.current = c;
        setCounts(c);
      } catch {
        // The badge waits for the next event.
      }
    };
    load(true);
    const off = subscribe((e) => {
      if (e.type.startsWith('inquiry.') || e.type === 'access_revoked' || e.type.startsWith('consent.')) load(true);
    });
    return () => {
      alive = false;
      off();
    };
  }, [user.id]);
  return counts;
}

/** The kind of my organisation (a samordningsförbund's admin keeps the insatskatalog). */
function useOrganisationKind(user) {
  const [kind, setKind] = useState(null);
  useEffect(() => {
    organisations().then((orgs) => setKind((orgs.find((o) => o.id === user.organisation_id) || {}).kind || null)).catch(() => {});
  }, [user.id]);
  return kind;
}

/** Warns before the idle limit, ends the session at the limits, refreshes while in use. */
function useSessionClock(current) {
  const [warn, setWarn] = useState(false);
  const touched = useRef(Date.now());
  useEffect(() => {
    const mark = () => { touched.current = Date.now(); };
    addEventListener('keydown', mark);
    addEventListener('pointerdown', mark);
    const tick = setInterval(() => {
      const s = session();
      if (!s) return;
      const now = Date.now();
      if (now >= s.sessionEnds) return endLocally('session_expired');
      const idleEnds = s.lastActive + s.idleMinutes * 60000;
      if (now >= idleEnds) return endLocally('session_idle');
      // Used here since the server last heard from us: tell it (a refresh counts as activity).
      const usedSinceServer = touched.current > s.lastActive + 1000;
      // Used since the token was issued and it ends soon: a fresh one, so work is not cut off.
      const usedSinceToken = Math.max(touched.current, s.lastActive) > s.tokenIssued + 1000;
      if ((usedSinceServer && now - s.lastActive > 60000) || (usedSinceToken && s.tokenExpires - now < 180000)) {
        refresh().catch(() => {});
        return undefined;
      }
      setWarn(idleEnds - now <= 120000);
      return undefined;
    }, 5000);
    return () => {
      clearInterval(tick);
      removeEventListener('keydown', mark);
      removeEventListener('pointerdown', mark);
    };
  }, [current && current.user.id]);
  return [warn, setWarn];
}

function IdleWarning({ onStay, onLeave }) {
  return html`<${Dialog} title="Du loggas snart ut" onClose=${onStay}>
    <p>Du har inte varit aktiv på en stund. Om två minuter loggas du ut automatiskt för att skydda uppgifterna.</p>
    <div class="actions">
      <button type="button" class="primary" onClick=${onStay}>Fortsätt vara inloggad</button>
      <button type="button" onClick=${onLeave}>Logga ut nu</button>
    </div>
  <//>`;
}

function Shell({ current }) {
  const { user } = current;
  const path = useHash();
  const counts = useInboxCounts(user);
  const notices = useNotificationCount(user);
  const sipCount = useSipCount(user, worksCases(user));
  const commitments = useCommitmentCounts(user, worksCases(user));
  const finsamCount = useFinsamCount(user);
  const kind = useOrganisationKind(user);
  const escalations = useEscalationCount(user, takesEscalations(user));
  const [warn, setWarn] = useSessionClock(current);
  const [live, setLive] = useState('connecting');
  useEffect(() => {
    startLive(setLive);
    return stopLive;
  }, [user.id]);
  useEffect(() => {
    if (path === '/' || !route(path, user)) location.replace(startPage(user));
  }, [path]);
  const main = useRef(null);
  const first = useRef(true);
  useEffect(() => {
    // A new page: move focus to its heading so screen readers start there.
    if (first.current) { first.current = false; return; }
    const h1 = main.current && main.current.querySelector('h1');
    if (h1) h1.focus();
  }, [path]);
  const page = route(path, user);
  const skip = (e) => {
    e.preventDefault();
    main.current.focus();
  };
  return html`
    <a class="skip" href="#innehall" onClick=${skip}>Hoppa till innehållet</a>
    <header class="top">
      <p class="brand">Samverkan</p>
      <p class="who"><span class="sr-only">Inloggad som </span>${user.display_name}, ${user.organisation_name}</p>
      <button type="button" class="link-button" onClick=${() => logout()}>Logga ut</button>
    </header>
    <nav aria-label="Huvudmeny" class="menu"><ul>
      ${NAV.filter((n) => n.show(user, kind)).map((n) => {
        const here = n.exact ? path === n.href.slice(1) : path.startsWith(n.href.slice(1));
        let badge = '';
        if (n.badge === 'inbox' && counts) {
          badge = html` <span class="badge" id="inkorg-badge">${counts.inbox.unread} olästa<span class="sr-only">,</span> ${counts.inbox.overdue} försenade</span>`;
        } else if (n.badge === 'sip' && sipCount !== null) {
          badge = html` <span class="badge" id="sip-badge">${sipCount} obesvarade</span>`;
        } else if (n.badge === 'finsam' && finsamCount !== null) {
          badge = html` <span class="badge" id="finsam-badge">${finsamCount} nya</span>`;
        } else if (n.badge === 'commitments' && commitments) {
          badge = html` <span class="badge" id="ataganden-badge">${commitments.soon} snart<span class="sr-only">,</span> ${commitments.overdue} försenade</span>`;
        } else if (n.badge === 'escalations' && escalations !== null) {
          badge = html` <span class="badge" id="eskalerade-badge">${escalations} öppna</span>`;
        } else if (n.badge === 'notices' && notices !== null) {
          badge = html` <span class="badge" id="notiser-badge">${notices} olästa</span>`;
        }
        return html`<li><a href=${n.href} aria-current=${here ? 'page' : undefined}>${n.label}${badge}</a></li>`;
      })}
    </ul></nav>
    <main id="innehall" tabindex="-1" ref=${main}>
      ${live === 'reconnecting' ? html`<p class="notice" role="status">Anslutningen för direktuppdateringar bröts. Återansluter …</p>` : ''}
      ${page}
    </main>
    <${Announcer} />
    ${warn && html`<${IdleWarning}
      onStay=${() => { setWarn(false); refresh().catch(() => {}); }}
      onLeave=${() => { setWarn(false); logout(); }} />`}
    <footer><p>Samverkan – ett nav för samverkan kring rehabilitering.</p></footer>`;
}

function App() {
  const [current, setCurrent] = useState(session());
  useEffect(() => onSession(setCurrent), []);
  if (!current) return html`<${LoginPage} />`;
  return html`<${Shell} current=${current} />`;
}

const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
