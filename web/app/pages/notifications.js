// Notifications (notiser): the list with the unread count, marking read, each leading to what
// it concerns; the menu badge's count, kept current by the stream; e-mail preferences per kind.

import { html, useState, useEffect, useRef } from '../lib.js';
import { api } from '../api.js';
import { subscribe } from '../live.js';
import {
  Choices, ErrorSummary, useForm, useTitle, useLoad, useLive, Loading, LoadError, announce, fmt,
} from '../ui.js';

/** What each kind says in the list, and what it leads to. */
const KINDS = {
  inquiry_received: ['En ny rehabiliteringsförfrågan har kommit till inkorgen', 'inquiry'],
  inquiry_assigned: ['En rehabiliteringsförfrågan har tilldelats dig', 'inquiry'],
  inquiry_answered: ['En rehabiliteringsförfrågan har besvarats', 'inquiry'],
  inquiry_declined: ['En rehabiliteringsförfrågan har avböjts', 'inquiry'],
  inquiry_overdue: ['En rehabiliteringsförfrågan har passerat svarsdatum', 'inquiry'],
  message_received: ['Nytt meddelande i ett ärende', 'case'],
  meeting_invitation: ['Du är inbjuden till ett möte', 'meeting'],
  meeting_changed: ['Ett möte du är inbjuden till har ändrats', 'meeting'],
  meeting_cancelled: ['Ett möte du var inbjuden till har ställts in', 'meeting'],
  meeting_reminder: ['Påminnelse: du har ett möte inom ett dygn', 'meeting'],
  consent_ending: ['Ett samtycke upphör inom två veckor', 'case'],
  access_revoked: ['Er organisations åtkomst till ett ärende har upphört', null],
  consent_changed: ['Ett samtycke du registrerat har återkallats eller makulerats', 'case'],
  case_handed_over: ['Ett ärende har lämnats över till dig', 'case'],
  sip_call_received: ['En kallelse till SIP har kommit till er', 'sip'],
  sip_call_answered: ['En kallad organisation har svarat på er kallelse till SIP', 'sip'],
  sip_call_chased: ['Påminnelse: en kallelse till SIP väntar på ert svar', 'sip'],
  sip_call_cancelled: ['En kallelse till SIP har ställts in', 'sip'],
  finsam_referral_received: ['En anmälan till Finsamteamet har kommit till förbundet', 'finsam'],
  finsam_referral_decided: ['Förbundet har tagit ställning till en anmälan till Finsamteam', 'finsam'],
  finsam_follow_up_due: ['Uppföljningen av en plan i Finsamteamet närmar sig eller har passerat', 'finsam'],
  finsam_agenda_published: ['Dagordningen till ett Finsamteam-möte finns att läsa', 'finsam_meeting'],
  plan_adopted: ['En plan där ni har en roll har fastställts', 'case'],
  plan_action_due: ['En insats ska snart vara klar eller är försenad', 'case'],
  plan_follow_up_due: ['En plans uppföljning närmar sig eller har passerat', 'case'],
  plan_responsible_lost: ['Insatser i en plan behöver en ny ansvarig', 'case'],
  fordjupad_brought: ['Ett ärende har lyfts till dig som rehabansvarig', 'case'],
  fordjupad_decided: ['Rehabansvarig har beslutat om ett ärende du lyft', 'case'],
  fordjupad_avstamning_due: ['Rekommendationer väntar på en avstämning', 'case'],
  fordjupad_escalated: ['Uppföljningen av ett ärende har gått över till dig', 'case'],
  fordjupad_case_manager_ending: ['En case manager-insats slutar snart', 'case'],
};

/** The kinds as choices on the settings page, in the order of the list above. */
const PREFERENCE_LABELS = {
  inquiry_received: 'Nya rehabiliteringsförfrågningar i inkorgen',
  inquiry_assigned: 'Förfrågningar som tilldelas mig',
  inquiry_answered: 'Besvarade förfrågningar',
  inquiry_declined: 'Avböjda förfrågningar',
  inquiry_overdue: 'Förfrågningar som passerat svarsdatum',
  message_received: 'Nya meddelanden i ärenden',
  meeting_invitation: 'Mötesinbjudningar',
  meeting_changed: 'Ändrade möten',
  meeting_cancelled: 'Inställda möten',
  meeting_reminder: 'Påminnelser om möten',
  consent_ending: 'Samtycken som upphör snart',
  access_revoked: 'Ärenden där åtkomsten har upphört',
  consent_changed: 'Samtycken som återkallats eller makulerats',
  case_handed_over: 'Ärenden som lämnas över till mig',
  sip_call_received: 'Kallelser till SIP till min organisation',
  sip_call_answered: 'Svar på kallelser till SIP som vi skickat',
  sip_call_chased: 'Påminnelser om obesvarade kallelser till SIP',
  sip_call_cancelled: 'Inställda kallelser till SIP',
  finsam_referral_received: 'Nya anmälningar till Finsamteamet (förbundets inkorg)',
  finsam_referral_decided: 'Beslut om anmälningar till Finsamteam som vi skickat',
  finsam_agenda_published: 'Dagordningar till Finsamteam-möten',
  finsam_follow_up_due: 'Uppföljningar av Finsamteamets planer',
  plan_adopted: 'Fastställda planer där vi har en roll',
  plan_action_due: 'Insatser som snart ska vara klara eller är försenade',
  plan_follow_up_due: 'Uppföljningar av planer',
  plan_responsible_lost: 'Insatser som behöver en ny ansvarig',
  fordjupad_brought: 'Ärenden som lyfts till mig som rehabansvarig',
  fordjupad_decided: 'Rehabansvarigs beslut om ärenden jag lyft',
  fordjupad_avstamning_due: 'Avstämningar som ska bokas efter rekommendationer',
  fordjupad_escalated: 'Uppföljningar som eskaleras till mig',
  fordjupad_case_manager_ending: 'Case manager-insatser som slutar snart',
};

const DELIVERIES = [['immediate', 'Direkt, ett e-brev per notis'], ['digest', 'I en daglig sammanfattning'], ['none', 'Inget e-brev']];

const kindText = (kind) => (KINDS[kind] || [`Notis (${kind})`])[0];

/** Where a notification leads in the app, or null when there is nothing left to show. */
export function target(n) {
  const to = (KINDS[n.kind] || [])[1];
  if (to === 'inquiry' && n.subject_id) return `#/forfragningar/${n.subject_id}`;
  if (to === 'meeting' && n.subject_id) return `#/moten/${n.subject_id}`;
  if (to === 'sip' && n.subject_id) return `#/sip/${n.subject_id}`;
  if (to === 'finsam' && n.subject_id) return `#/finsam/anmalningar/${n.subject_id}`;
  if (to === 'finsam_meeting' && n.subject_id) return `#/finsam/moten/${n.subject_id}`;
  if (to === 'case' && n.case_id) return `#/arenden/${n.case_id}`;
  return null;
}

// The unread count: loaded on start, on every `notification.created`, and when read here.
const changed = new Set();
function countChanged() {
  changed.forEach((fn) => fn());
}

/** My unread notifications, for the menu badge; announces a rise. */
export function useNotificationCount(user) {
  const [count, setCount] = useState(null);
  const last = useRef(null);
  useEffect(() => {
    let alive = true;
    const load = async () => {
      try {
        const page = await api('GET', '/api/notifications?unread=true&limit=1', undefined, { background: true });
        if (!alive) return;
        if (last.current !== null && page.unread_count > last.current) announce('Du har fått en ny notis.');
        last.current = page.unread_count;
        setCount(page.unread_count);
      } catch {
        // The badge waits for the next change.
      }
    };
    load();
    changed.add(load);
    const off = subscribe((e) => {
      if (e.type === 'notification.created') load();
    });
    return () => {
      alive = false;
      changed.delete(load);
      off();
    };
  }, [user.id]);
  return count;
}

export function NotificationsPage() {
  useTitle('Notiser');
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [{ loading, data, error }, reload] = useLoad((background) => api('GET',
    `/api/notifications?limit=100${unreadOnly ? '&unread=true' : ''}`, undefined, { background }), [unreadOnly]);
  const [actionError, setActionError] = useState(null);
  useLive((e) => {
    if (e.type === 'notification.created') reload(true);
  }, [unreadOnly]);
  const markRead = (path, news) => async () => {
    setActionError(null);
    try {
      await api('POST', path);
      announce(news);
      countChanged();
      await reload(true);
      document.getElementById('notiser-rubrik')?.focus();
    } catch (err) {
      setActionError(err.message);
    }
  };
  const items = data ? data.items : [];
  return html`<h1 tabindex="-1" id="notiser-rubrik">Notiser</h1>
    <p>Här samlas det som har hänt och som du kan behöva göra något åt. Välj hur du får e-post om dem under <a href="#/installningar">Inställningar</a>.</p>
    ${data && html`<p class="counter" aria-live="polite" aria-atomic="true"><span class="count" id="antal-olasta-notiser">${data.unread_count}</span> olästa</p>`}
    <div class="filters" role="group" aria-label="Visa">
      <button type="button" aria-pressed=${unreadOnly ? 'false' : 'true'} onClick=${() => setUnreadOnly(false)}>Alla</button>
      <button type="button" aria-pressed=${unreadOnly ? 'true' : 'false'} onClick=${() => setUnreadOnly(true)}>Olästa</button>
      ${data && data.unread_count > 0 && html`<button type="button" class="primary" onClick=${markRead('/api/notifications/read-all', 'Alla notiser är markerade som lästa.')}>Markera alla som lästa</button>`}
    </div>
    ${actionError && html`<div class="notice error-notice" role="alert"><p>${actionError}</p></div>`}
    ${loading && html`<${Loading} />`}
    ${error && html`<${LoadError} error=${error} />`}
    ${data && items.length === 0 && html`<p class="empty" role="status">${unreadOnly ? 'Du har inga olästa notiser.' : 'Du har inga notiser.'}</p>`}
    ${items.length > 0 && html`<ul class="cards notices" id="notiser">${items.map((n) => html`<li key=${n.id} class=${n.read_at ? '' : 'unread'} data-kind=${n.kind}>
      <div>
        <p class="meta">${fmt(n.created_at)}${n.read_at ? '' : html` <span class="flag new">Oläst</span>`}</p>
        <p><a href=${`#/notiser/${n.id}`}>${kindText(n.kind)}</a></p>
      </div>
      ${!n.read_at && html`<button type="button" onClick=${markRead(`/api/notifications/${n.id}/read`, 'Notisen är markerad som läst.')}>Markera som läst<span class="sr-only">: ${kindText(n.kind)}, ${fmt(n.created_at)}</span></button>`}
    </li>`)}</ul>`}`;
}

/**
 * One notification (where the e-mail links lead): marked read, then on to what it concerns;
 * a notification with nothing left to show is shown here.
 */
export function NotificationPage({ id }) {
  useTitle('Notis');
  const [{ loading, data, error }] = useLoad(async () => {
    const n = await api('POST', `/api/notifications/${id}/read`);
    countChanged();
    return n;
  }, [id]);
  const to = data && target(data);
  useEffect(() => {
    if (to) location.replace(to);
  }, [to]);
  if (loading || to) return html`<h1 tabindex="-1">Notis</h1><${Loading} />`;
  if (error) return html`<h1 tabindex="-1">Notis</h1><${LoadError} error=${error} /><p><a href="#/notiser">Till notiserna</a></p>`;
  return html`<h1 tabindex="-1">Notis</h1>
    <p>${kindText(data.kind)} (${fmt(data.created_at)}).</p>
    ${data.kind === 'access_revoked' && html`<p>Samtycket som delade ärendet med er organisation gäller inte längre, så ärendet visas inte här.</p>`}
    <p><a href="#/notiser">Till notiserna</a></p>`;
}

/** E-mail per notification kind: at once, in a daily digest, or none. */
export function PreferencesPage() {
  useTitle('Inställningar');
  const [{ loading, data, error }, reload] = useLoad(() => api('GET', '/api/me/notification-preferences'), []);
  const { errors, busy, run } = useForm();
  const [saved, setSaved] = useState(0);
  const form = useRef(null);
  const submit = (e) => {
    e.preventDefault();
    const values = new FormData(form.current);
    const preferences = data.preferences.map((p) => ({ kind: p.kind, delivery: String(values.get(`pref-${p.kind}`) || p.delivery) }));
    run(async () => {
      await api('PUT', '/api/me/notification-preferences', { preferences });
      await reload();
      setSaved((n) => n + 1);
      announce('Inställningarna är sparade.');
    });
  };
  return html`<h1 tabindex="-1">Inställningar för e-post</h1>
    <p class="ingress">Välj för varje slags notis om du vill få e-post. Notiserna finns alltid i Samverkan.
      E-posten säger bara att något väntar, aldrig vem det gäller.</p>
    ${loading && html`<${Loading} />`}
    ${error && html`<${LoadError} error=${error} />`}
    ${data && html`<form ref=${form} onSubmit=${submit} novalidate key=${saved} id="installningar" class="compact-choices">
      <${ErrorSummary} errors=${errors} />
      ${data.preferences.map((p) => html`<${Choices} name=${`pref-${p.kind}`} legend=${PREFERENCE_LABELS[p.kind] || p.kind} type="radio"
        hint=${p.is_default ? 'Standardinställning.' : undefined} options=${DELIVERIES} checked=${[p.delivery]} />`)}
      <div class="actions">
        <button class="primary" type="submit" disabled=${busy}>Spara inställningarna</button>
        ${saved > 0 && html`<p class="ok-inline" role="status">Inställningarna är sparade.</p>`}
      </div>
    </form>`}`;
}
