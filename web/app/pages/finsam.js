// Finsamteam referrals (anmälan till Finsam-team): the labels every Finsam page shares, the
// coordinators' menu badge, the inbox of the förbund and the referrals we sent
// (`#/finsam`), the Finsam pages' own navigation, and the case page's section.

import { html, useState, useEffect } from '../lib.js';
import { api } from '../api.js';
import { subscribe } from '../live.js';
import {
  Select, useTitle, useLoad, useLive, Loading, LoadError, announce, fmt, fmtDate,
} from '../ui.js';

export const REFERRAL_STATES = {
  draft: 'Utkast', sent: 'Skickad', returned: 'Återsänd för komplettering', accepted: 'Antagen', declined: 'Avböjd',
  withdrawn: 'Återkallad', on_agenda: 'På dagordningen', plan_adopted: 'Plan fastställd', followed_up: 'Uppföljd', closed: 'Avslutad',
};
export const REFERRAL_DECLINE_REASONS = {
  not_target_group: 'Ingår inte i teamets målgrupp', other_route: 'En annan väg passar bättre', person_declined: 'Personen tackade nej',
  consent_insufficient: 'Samtycket räcker inte', other: 'Annat skäl',
};
export const OTHER_ROUTES = {
  sip: 'SIP (samordnad individuell plan)', fordjupad_samverkan: 'Fördjupad samverkan', arbetsformedlingen: 'Arbetsförmedlingens insatser',
  forsakringskassan: 'Försäkringskassans samordning', halso_och_sjukvard: 'Hälso- och sjukvården', socialtjanst: 'Socialtjänsten',
  other: 'Annan väg (beskrivs i texten)',
};
export const OUTCOMES = {
  finsam_effort: 'En Finsam-insats ur förbundets insatskatalog', transfer_af: 'Överlämnad till Arbetsförmedlingen',
  aterremiss: 'Återremiss till den som anmälde', self_sufficient_work: 'Egen försörjning genom arbete',
  self_sufficient_studies: 'Egen försörjning genom studier', self_sufficient_job_seeking: 'Egen försörjning som arbetssökande',
  self_sufficient_other_benefit: 'Egen försörjning genom annan ersättning', sjukersattning_granted: 'Sjukersättning beviljad',
  aktivitetsersattning_granted: 'Aktivitetsersättning beviljad',
  no_need_not_illness: 'Inget behov av samordnad rehabilitering: beror inte på sjukdom',
  no_need_too_ill: 'Inget behov av samordnad rehabilitering nu: för sjuk',
  no_need_not_willing: 'Inget behov av samordnad rehabilitering: personen vill inte delta',
};
/** The referral's content fields, in the order of the form (anmälan till Finsam-team). */
export const CONTENT_FIELDS = [
  ['why_coordination', 'Varför behövs samordning?', 'Vad gör att ni behöver de andra parterna? Personens situation med egna ord.', true],
  ['tried_so_far', 'Vad har prövats hittills?', 'Insatser, utredningar och kontakter som redan finns eller har funnits.', false],
  ['parties_today', 'Vilka parter är inblandade i dag?', 'T.ex. socialtjänsten, vårdcentralen, Försäkringskassan.', false],
  ['own_goal', 'Personens eget mål och önskemål', 'Gärna med personens egna ord.', true],
  ['practical_needs', 'Praktiska behov', 'Tolk, tillgänglighet, tider som fungerar.', false],
];
export const CONTENT_LABELS = Object.fromEntries(CONTENT_FIELDS.map(([k, l]) => [k, l]));

export const isCoordinator = (user) => user.roles.includes('finsamkoordinator');
export const isFinsam = (e) => e.type.startsWith('finsam') || e.type === 'access_revoked' || e.type.startsWith('consent.');

/** New referrals in my förbund's inbox, for the coordinators' menu badge; kept current live. */
export function useFinsamCount(user) {
  const [count, setCount] = useState(null);
  const enabled = isCoordinator(user);
  useEffect(() => {
    if (!enabled) return undefined;
    let alive = true;
    let last = null;
    const load = async () => {
      try {
        const c = await api('GET', '/api/finsam/referrals/counts', undefined, { background: true });
        if (!alive) return;
        if (last !== null && c.new > last) announce('En ny anmälan till Finsamteamet har kommit.');
        last = c.new;
        setCount(c.new);
      } catch {
        // The badge waits for the next event.
      }
    };
    load();
    const off = subscribe((e) => { if (isFinsam(e)) load(); });
    return () => {
      alive = false;
      off();
    };
  }, [user.id, enabled]);
  return count;
}

/** The Finsam pages' own links (the coordinator's workspace). */
export function FinsamNav({ user, here }) {
  const links = [['#/finsam', 'Anmälningar'], ['#/finsam/moten', 'Teammöten']];
  if (isCoordinator(user)) links.push(['#/finsam/uppfoljningar', 'Uppföljningar'], ['#/finsam/statistik', 'Statistik för Finsam']);
  if (user.roles.includes('org_admin') || isCoordinator(user)) links.push(['#/finsam/insatser', 'Insatskatalog']);
  return html`<nav aria-label="Finsamteam" class="filters"><ul class="plain field-row">
    ${links.map(([href, label]) => html`<li><a href=${href} aria-current=${here === href ? 'page' : undefined}>${label}</a></li>`)}
  </ul></nav>`;
}

const FILTER_STATES = ['sent', 'returned', 'accepted', 'on_agenda', 'plan_adopted', 'followed_up', 'declined', 'withdrawn', 'closed'];

/** `#/finsam`: the förbund's inbox (coordinators) and the referrals my organisation sent. */
export function FinsamInboxPage({ user }) {
  const coordinator = isCoordinator(user);
  useTitle(coordinator ? 'Anmälningar till Finsamteamet' : 'Anmälningar till Finsamteam');
  const [box, setBox] = useState(coordinator ? 'inbox' : 'sent');
  const [state, setState] = useState('');
  const [{ loading, data, error }, reload] = useLoad(async (background) => {
    const query = `box=${box}&limit=200${state ? `&state=${state}` : ''}`;
    const [list, counts] = await Promise.all([
      api('GET', `/api/finsam/referrals?${query}`, undefined, { background }),
      coordinator ? api('GET', '/api/finsam/referrals/counts', undefined, { background }) : null,
    ]);
    return { list, counts };
  }, [box, state]);
  useLive((e) => { if (isFinsam(e)) reload(true); }, [box, state]);
  const inbox = box === 'inbox';
  return html`<h1 tabindex="-1">${coordinator ? 'Anmälningar till Finsamteamet' : 'Anmälningar till Finsamteam'}</h1>
    <${FinsamNav} user=${user} here="#/finsam" />
    ${data && data.counts && html`<ul class="counters" id="finsam-raknare" aria-live="polite" aria-atomic="true">
      <li><span class="count" id="antal-nya">${data.counts.new}</span> nya att ta ställning till</li>
      <li><span class="count" id="antal-vantar">${data.counts.waiting}</span> väntar på komplettering</li>
    </ul>`}
    <div class="field-row">
      ${coordinator && html`<div class="filters" role="group" aria-label="Visa">
        <button type="button" aria-pressed=${inbox ? 'true' : 'false'} onClick=${() => setBox('inbox')}>Till förbundet</button>
        <button type="button" aria-pressed=${inbox ? 'false' : 'true'} onClick=${() => setBox('sent')}>Skickade av oss</button>
      </div>`}
      <${Select} name="state" label="Status" value=${state} onChange=${(e) => setState(e.target.value)}
        options=${[['', 'Alla'], ...FILTER_STATES.map((s) => [s, REFERRAL_STATES[s]])]} />
    </div>
    ${loading && html`<${Loading} />`}
    ${error && html`<${LoadError} error=${error} />`}
    ${data && data.list.items.length === 0 && html`<p class="empty" role="status">Inga anmälningar att visa.</p>`}
    ${data && data.list.items.length > 0 && html`<table id=${inbox ? 'finsam-inkorg' : 'finsam-skickade'}>
      <caption class="sr-only">${inbox ? 'Anmälningar till förbundet' : 'Anmälningar vi skickat'}</caption>
      <thead><tr><th scope="col">Individ</th><th scope="col">${inbox ? 'Från' : 'Till'}</th><th scope="col">Skickad</th><th scope="col">Status</th></tr></thead>
      <tbody>${data.list.items.map((r) => html`<tr class=${inbox && r.state === 'sent' ? 'unread' : ''} data-state=${r.state}>
        <td><a href=${`#/finsam/anmalningar/${r.id}`}>${r.individual_name}</a></td>
        <td>${inbox ? `${r.referrer_organisation_name} (${r.referrer_user_name})` : r.forbund_organisation_name}</td>
        <td>${r.sent_at ? fmtDate(r.sent_at) : '–'}</td>
        <td><span class="state">${REFERRAL_STATES[r.state]}</span></td>
      </tr>`)}</tbody>
    </table>`}`;
}

/** The case's referrals on the case page; the owner's caseworkers refer from here. */
export function CaseFinsam({ caseId, owner, user }) {
  const [{ data }, reload] = useLoad(async (background) => {
    if (!owner) return [];
    const list = await api('GET', `/api/finsam/referrals?box=sent&case_id=${encodeURIComponent(caseId)}&limit=200`, undefined, { background }).catch(() => ({ items: [] }));
    return list.items;
  }, [caseId, owner]);
  useLive((e) => { if (e.case_id === caseId && isFinsam(e)) reload(true); }, [caseId]);
  if (!owner) return null;
  const referrals = data || [];
  const mayRefer = user.roles.some((r) => r !== 'org_admin' && r !== 'statistik');
  return html`<section aria-labelledby="finsam-rubrik">
    <h2 id="finsam-rubrik">Finsamteam</h2>
    ${referrals.length === 0 && html`<p class="empty">Ingen anmälan till Finsamteam i ärendet.</p>`}
    ${referrals.length > 0 && html`<ul class="cards" id="arendets-finsam">${referrals.map((r) => html`<li>
      <a href=${`#/finsam/anmalningar/${r.id}`}>Anmälan till ${r.forbund_organisation_name}${r.sent_at ? `, skickad ${fmt(r.sent_at)}` : ''}</a>
      ${' – '}<span class="state" data-state=${r.state}>${REFERRAL_STATES[r.state]}</span>
    </li>`)}</ul>`}
    ${mayRefer && html`<p><a class="button" href=${`#/arenden/${caseId}/finsam/ny`}>Anmäl till Finsamteam</a></p>`}
  </section>`;
}
