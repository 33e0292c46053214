// Journey 13: a referral to the Finsamteam, from the Jobbtorg coach's anmälan to the outcome,
// in two browsers at once (Jobbtorg Stockholm and the förbund's Finsam coordinator). The coach
// refers a new individual; an oral consent is refused (consent_missing names what is missing);
// with a written one the referral reaches the coordinator's inbox live; the coordinator returns
// it with a question, the coach completes it, the coordinator accepts it and puts it on a team
// meeting's agenda with two other referrals, records the decision, and the team's plan is
// adopted with FK, AF and social services; the follow-up closes it with an outcome, and the
// figures page counts it. Husby and Tensta vårdcentral are never involved.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, signedIn, axe, screenshot, randomPersonnummer, noScriptErrors, call,
} from './helpers.js';

let browser;
let coach;
let nadia;
const pnr = randomPersonnummer();
const person = `Finsam-person ${pnr.slice(-4)}`;
let caseUrl;
let referralUrl;
let orgs;
let fk;
let meetingUrl;
let others;

const FORBUND = 'Samordningsförbundet Stockholms stad';
const pad = (n) => String(n).padStart(2, '0');
const inDays = (n) => {
  const d = new Date();
  d.setDate(d.getDate() + n);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
};
const group = (page, name) => page.getByRole('group', { name, exact: true });
const menu = (page, name) => page.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link', { name });
const badge = async (page) => Number((await page.locator('#finsam-badge').innerText()).match(/\d+/)[0]);

before(async () => {
  browser = await launch();
  [coach, nadia] = await signedIn(browser, 'jobbtorg.coach', 'finsam.koordinator');
  orgs = await call(coach, 'GET', '/api/organisations');
});
after(async () => { await browser.close(); });

/** The organisations a Finsamteam consent names: the förbund and the team's parties (never Husby or Tensta). */
const TEAM = [FORBUND, 'Försäkringskassan', 'Arbetsförmedlingen', 'Socialtjänsten Järva, ekonomiskt bistånd', 'Rinkeby vårdcentral', 'Psykiatrisk mottagning Järva'];

async function recordFinsamConsent(page, { written }) {
  await page.getByRole('button', { name: 'Registrera samtycke' }).click();
  const covered = page.getByRole('group', { name: /Organisationer som får dela/ });
  for (const name of TEAM) await covered.getByLabel(name, { exact: true }).check();
  await page.getByRole('group', { name: 'Ändamål' }).getByLabel('Finsamteam').check();
  await page.getByRole('group', { name: /Hur lämnades/ }).getByLabel(written ? 'Skriftligt' : 'Muntligt').check();
  if (written) await page.getByLabel('Dokumentreferens').fill('Samtycke Finsam FS-2026-13');
  await page.getByRole('button', { name: 'Spara samtycke' }).click();
  await page.getByRole('cell', { name: written ? /Skriftligt/ : /^Muntligt$/ }).first().waitFor();
}

test('the Jobbtorg coach opens a case and starts a referral; sending needs the content', async () => {
  await coach.getByRole('heading', { level: 1, name: 'Ärenden' }).waitFor();
  await coach.getByRole('link', { name: 'Registrera individ och öppna ärende' }).click();
  await coach.getByLabel('Personnummer eller samordningsnummer').fill(pnr);
  await coach.getByLabel('Namn').fill(person);
  await coach.getByRole('button', { name: 'Registrera och öppna ärende' }).click();
  await coach.getByRole('heading', { level: 1, name: `Ärende: ${person}` }).waitFor();
  caseUrl = coach.url();
  await coach.getByRole('heading', { level: 2, name: 'Finsamteam' }).waitFor();
  await coach.getByText('Ingen anmälan till Finsamteam i ärendet.').waitFor();
  await recordFinsamConsent(coach, { written: false });
  await axe(coach, 'case page with an oral Finsamteam consent');

  await coach.getByRole('link', { name: 'Anmäl till Finsamteam' }).click();
  await coach.getByRole('heading', { level: 1, name: 'Anmäl till Finsamteam' }).waitFor();
  assert.match(coach.url(), /#\/arenden\/[0-9a-f-]+\/finsam\/ny$/);
  await coach.locator('#samtycke-status', { hasText: /Muntligt samtycke/ }).waitFor();
  await axe(coach, 'new referral, empty');
  await coach.getByRole('button', { name: 'Skicka anmälan' }).click();
  // The server's field errors, beside their fields and in the summary.
  await coach.locator('#f-why_coordination-fel').waitFor();
  await coach.locator('#f-own_goal-fel').waitFor();
  await coach.getByRole('alert').getByText(/Varför behövs samordning\?/).waitFor();
  await coach.getByText('Utkastet är sparat.', { exact: false }).waitFor();
  await axe(coach, 'new referral, missing content');
});

test('an oral consent is refused, naming what is missing', async () => {
  await coach.getByLabel('Varför behövs samordning?').fill('Lång tid utan arbete, återkommande sjukskrivningar och skulder. Jobbtorgets insatser räcker inte.');
  await coach.getByLabel('Vad har prövats hittills?').fill('Praktik via Jobbtorg, Supported Employment i tre månader.');
  await coach.getByLabel('Vilka parter är inblandade i dag?').fill('Jobbtorg, socialtjänsten (ekonomiskt bistånd), vårdcentralen.');
  await coach.getByLabel('Personens eget mål och önskemål').fill('Att arbeta deltid inom lager och logistik.');
  await coach.getByLabel('Praktiska behov').fill('Tolk på somaliska.');
  await coach.getByRole('button', { name: 'Skicka anmälan' }).click();
  const error = coach.locator('#f-consent-fel');
  await error.waitFor();
  assert.match(await error.innerText(), /inte skriftligt/);
  assert.match(await error.innerText(), /dokumentreferens/);
  await axe(coach, 'new referral, consent missing');
  await screenshot(coach, '13-jobbcoach-anmalan');
});

test('with a written consent the referral reaches the coordinator\'s inbox live', async () => {
  await nadia.getByRole('heading', { level: 1, name: 'Anmälningar till Finsamteamet' }).waitFor();
  await nadia.locator('#finsam-badge').waitFor();
  const before = await badge(nadia);
  await nadia.evaluate(() => { window.notReloaded = true; });

  await coach.goto(caseUrl);
  await coach.getByRole('heading', { level: 1, name: `Ärende: ${person}` }).waitFor();
  await recordFinsamConsent(coach, { written: true });
  await coach.locator('#arendets-finsam li', { hasText: 'Utkast' }).getByRole('link').click();
  await coach.getByRole('heading', { level: 1, name: `Anmälan till Finsamteam: ${person}` }).waitFor();
  referralUrl = coach.url();
  await axe(coach, 'the referral, a draft');
  await coach.getByRole('button', { name: 'Skicka anmälan' }).click();
  await coach.locator('#anmalan-status', { hasText: 'Skickad' }).waitFor();
  await coach.evaluate(() => { window.notReloaded = true; });

  await nadia.locator('#finsam-inkorg tbody tr', { hasText: person }).waitFor();
  await nadia.waitForFunction((n) => Number(document.querySelector('#finsam-badge').innerText.match(/\d+/)[0]) === n + 1, before);
  assert.equal(await nadia.evaluate(() => window.notReloaded), true);
  await axe(nadia, 'the förbund\'s inbox');
  await screenshot(nadia, '13-koordinator-inkorg');
});

test('the coordinator returns it with a question; the coach sees it live and completes it', async () => {
  await nadia.locator('#finsam-inkorg tbody tr', { hasText: person }).getByRole('link', { name: person }).click();
  await nadia.getByRole('heading', { level: 1, name: `Anmälan till Finsamteam: ${person}` }).waitFor();
  await axe(nadia, 'the referral, as the coordinator');
  // The decline dialog, looked at and left.
  await nadia.getByRole('button', { name: 'Avböj' }).click();
  const decline = nadia.getByRole('dialog', { name: 'Avböj anmälan' });
  await decline.getByLabel('Skäl').selectOption('other_route');
  await decline.getByLabel('Väg som passar bättre').waitFor();
  await axe(nadia, 'decline dialog');
  await screenshot(nadia, '13-koordinator-avboj');
  await decline.getByRole('button', { name: 'Avbryt' }).click();

  await nadia.getByRole('button', { name: 'Skicka tillbaka för komplettering' }).click();
  const ret = nadia.getByRole('dialog', { name: 'Skicka tillbaka för komplettering' });
  await ret.getByRole('button', { name: 'Skicka tillbaka' }).click();
  await ret.getByRole('alert').getByText('Fråga: Skriv vad som behöver kompletteras.').waitFor();
  await axe(nadia, 'return dialog with an error');
  await ret.getByLabel('Fråga').fill('Har personen en pågående kontakt med psykiatrin? Vad säger läkaren om arbetsförmågan?');
  await ret.getByRole('button', { name: 'Skicka tillbaka' }).click();
  await nadia.locator('#anmalan-status', { hasText: 'Återsänd för komplettering' }).waitFor();

  await coach.locator('#anmalan-status', { hasText: 'Återsänd för komplettering' }).waitFor();
  await coach.locator('#koordinatorns-fraga', { hasText: 'pågående kontakt med psykiatrin' }).waitFor();
  assert.equal(await coach.evaluate(() => window.notReloaded), true, 'the question arrived without a reload');
  await axe(coach, 'the referral, returned');
  await coach.getByRole('button', { name: 'Komplettera' }).click();
  const complete = coach.getByRole('dialog', { name: 'Komplettera anmälan' });
  await complete.getByLabel('Svar').fill('Ja, sedan i våras. Läkaren bedömer att deltid med stöd är möjligt.');
  await axe(coach, 'completion dialog');
  await screenshot(coach, '13-jobbcoach-komplettera');
  await complete.getByRole('button', { name: 'Skicka kompletteringen' }).click();
  await coach.locator('#anmalan-status', { hasText: 'Skickad' }).waitFor();
  await coach.locator('#komplettering-svar', { hasText: 'deltid med stöd' }).waitFor();
});

test('the coordinator sees the answer live and the team takes it up', async () => {
  await nadia.locator('#komplettering-svar', { hasText: 'deltid med stöd' }).waitFor();
  await nadia.locator('#anmalan-status', { hasText: 'Skickad' }).waitFor();
  await nadia.getByRole('button', { name: 'Ta upp i teamet' }).click();
  await nadia.getByRole('dialog', { name: 'Ta upp anmälan i teamet' }).getByRole('button', { name: 'Ta upp i teamet' }).click();
  await nadia.locator('#anmalan-status', { hasText: 'Antagen' }).waitFor();
  await axe(nadia, 'the referral, accepted');
  await screenshot(nadia, '13-koordinator-anmalan');
  await coach.locator('#anmalan-status', { hasText: 'Antagen' }).waitFor();
  await screenshot(coach, '13-jobbcoach-anmalan-antagen');
  noScriptErrors(coach);
  noScriptErrors(nadia);
});

/**
 * Two more referrals from the coach, accepted by the coordinator (arranged through the API),
 * each under a written consent covering the förbund and its team. Returns their names and the
 * consents they were sent under.
 */
async function arrangeTwoMoreReferrals() {
  const forbund = orgs.find((o) => o.name === FORBUND);
  const team = orgs.filter((o) => TEAM.includes(o.name)).map((o) => o.id);
  const made = [];
  for (const i of [1, 2]) {
    const name = `Teamperson ${i} ${pnr.slice(-4)}`;
    const individual = await call(coach, 'POST', '/api/individuals', { personnummer: randomPersonnummer().replace('-', ''), name });
    const kase = await call(coach, 'POST', `/api/cases`, { individual_id: individual.id, title: 'Stöd mot arbete' });
    const consent = await call(coach, 'POST', `/api/cases/${kase.id}/consents`, {
      organisation_ids: team, purposes: ['finsamteam'], forms: ['skriftligt'],
      document_reference: `Samtycke Finsam FS-2026-${13 + i}`, valid_until: new Date(Date.now() + 300 * 86400000).toISOString(),
    });
    const r = await call(coach, 'POST', `/api/cases/${kase.id}/finsam-referrals`, {
      forbund_organisation_id: forbund.id, why_coordination: 'Behöver stöd från flera parter samtidigt.', own_goal: 'Att börja arbetsträna.',
    });
    await call(coach, 'POST', `/api/finsam/referrals/${r.id}/send`);
    await call(nadia, 'POST', `/api/finsam/referrals/${r.id}/accept`);
    made.push({ name, consentId: consent.id });
  }
  return made;
}

test('the coordinator books a team meeting and puts three referrals on its agenda', async () => {
  others = await arrangeTwoMoreReferrals();
  [fk] = await signedIn(browser, 'fk.handlaggare');
  await menu(nadia, /Finsamteam/).click();
  await nadia.getByRole('navigation', { name: 'Finsamteam' }).getByRole('link', { name: 'Teammöten' }).click();
  await nadia.getByRole('heading', { level: 1, name: 'Teammöten' }).waitFor();
  await axe(nadia, 'team meetings');
  await nadia.getByRole('link', { name: 'Boka teammöte' }).click();
  await nadia.getByRole('heading', { level: 1, name: 'Boka teammöte' }).waitFor();
  await nadia.getByLabel('Plats').fill('Förbundets lokaler, rum 2');
  for (const name of ['Karin Ek (handläggare)', 'Peter Lund (arbetsförmedlare)', 'Sara Lind (socialsekreterare)', 'Ahmed Yusuf (jobbcoach)']) {
    await nadia.getByLabel(name).check();
  }
  await axe(nadia, 'booking a team meeting');
  await screenshot(nadia, '13-koordinator-boka-teammote');
  await nadia.getByRole('button', { name: 'Boka teammötet' }).click();
  await nadia.getByRole('heading', { level: 1, name: /^Teammöte / }).waitFor();
  meetingUrl = nadia.url();
  assert.match(meetingUrl, /#\/finsam\/moten\/[0-9a-f-]+$/);
  await nadia.getByText('Inga punkter på dagordningen.').waitFor();
  for (const name of [person, ...others.map((o) => o.name)]) {
    await nadia.getByLabel('Antagen anmälan').selectOption({ label: `${name} (Jobbtorg Stockholm)` });
    await nadia.getByRole('button', { name: 'Lägg till på dagordningen' }).click();
    await nadia.locator('#dagordning > li', { hasText: name }).waitFor();
  }
  assert.equal(await nadia.locator('#dagordning > li').count(), 3);
  // The last one first.
  await nadia.getByRole('button', { name: 'Flytta upp punkt 3' }).click();
  await nadia.locator('#dagordning > li').nth(1).filter({ hasText: others[1].name }).waitFor();
  await nadia.getByRole('button', { name: 'Flytta upp punkt 2' }).click();
  await nadia.locator('#dagordning > li').nth(0).filter({ hasText: others[1].name }).waitFor();
  await nadia.getByRole('button', { name: 'Skicka dagordningen till deltagarna' }).click();
  await nadia.locator('#dagordning-skickad', { hasText: 'Skickad till deltagarna' }).waitFor();
  await axe(nadia, 'the team meeting with its agenda');
  await screenshot(nadia, '13-koordinator-teammote');
});

test('when a person\'s consent ends, Försäkringskassan sees that item withheld, live and without identity', async () => {
  await fk.goto(meetingUrl);
  await fk.getByRole('heading', { level: 1, name: /^Teammöte / }).waitFor();
  await fk.locator('#dagordning > li', { hasText: others[0].name }).waitFor();
  assert.equal(await fk.locator('#dagordning > li[data-withheld="true"]').count(), 0);
  await fk.evaluate(() => { window.notReloaded = true; });
  // The person withdraws their consent; the coach records it.
  await call(coach, 'POST', `/api/consents/${others[0].consentId}/end`, { reason: 'Personen vill inte längre delta.' });
  const withheld = fk.locator('#dagordning > li[data-withheld="true"]');
  await withheld.waitFor();
  assert.equal(await withheld.count(), 1);
  assert.match(await withheld.innerText(), /ärende utan samtycke för er organisation/);
  assert.doesNotMatch(await fk.locator('#dagordning').innerText(), new RegExp(others[0].name));
  await fk.locator('#dagordning > li', { hasText: person }).waitFor();
  assert.equal(await fk.evaluate(() => window.notReloaded), true, 'the item was withheld without a reload');
  await axe(fk, 'the agenda as Försäkringskassan');
  await screenshot(fk, '13-forsakringskassan-dagordning');
});

test('the coordinator records the team\'s decision for the coach\'s referral', async () => {
  const item = nadia.locator('#dagordning > li', { hasText: person });
  await item.getByRole('button', { name: /^Protokollför/ }).click();
  const dialog = nadia.getByRole('dialog', { name: `Protokollför: ${person}` });
  await dialog.getByRole('button', { name: 'Spara beslutet' }).click();
  await dialog.getByRole('alert').getByText(/Parter som deltar/).waitFor();
  await axe(nadia, 'record dialog with errors');
  const parties = dialog.getByRole('group', { name: /Parter som deltar/ });
  for (const name of ['Försäkringskassan', 'Arbetsförmedlingen', 'Socialtjänsten Järva, ekonomiskt bistånd', 'Jobbtorg Stockholm']) {
    await parties.getByLabel(name, { exact: true }).check();
  }
  await dialog.getByLabel('Nästa steg').fill('Planeringsmöte med personen, FK, AF och socialtjänsten om två veckor.');
  await screenshot(nadia, '13-koordinator-protokoll');
  await dialog.getByRole('button', { name: 'Spara beslutet' }).click();
  await item.locator('.beslut', { hasText: 'Samordnad insats' }).waitFor();
  await axe(nadia, 'the agenda with a recorded item');
  // The participants see the record live.
  await fk.locator('#dagordning > li', { hasText: person }).locator('.beslut').waitFor();
});

test('the coach draws up the team\'s plan from the agenda item and adopts it with FK, AF and social services', async () => {
  await coach.goto(meetingUrl);
  const item = coach.locator('#dagordning > li', { hasText: person });
  await item.locator('.beslut', { hasText: 'Samordnad insats' }).waitFor();
  await axe(coach, 'the agenda as the referrer');
  await item.getByRole('button', { name: 'Upprätta gemensam plan' }).click();
  await coach.waitForURL(/#\/planer\/[0-9a-f-]+$/);
  await coach.locator('#plan-status').getByText('Utkast').waitFor();
  await coach.getByLabel('Individens eget mål').fill('Att arbeta deltid inom lager och logistik.');
  await coach.getByRole('button', { name: 'Lägg till huvudmål' }).click();
  await group(coach, 'Mål 1').getByLabel('Målet').fill('Arbetsträning 50 % inom sex månader.');
  const actions = [
    ['Samordna rehabiliteringen och pröva rätten till ersättning', 'Försäkringskassan'],
    ['Arbetsträning via Arbetsförmedlingen', 'Arbetsförmedlingen'],
    ['Ekonomiskt bistånd under arbetsträningen', 'Socialtjänsten Järva, ekonomiskt bistånd'],
  ];
  for (const [i, [what, org]] of actions.entries()) {
    await coach.getByRole('button', { name: 'Lägg till insats' }).click();
    const box = group(coach, `Insats ${i + 1}`);
    await box.getByLabel('Vad ska göras').fill(what);
    await box.getByLabel('Ansvarig organisation').selectOption({ label: org });
    await box.getByLabel('Klart senast').fill(inDays(60));
    await box.getByLabel('Mål som insatsen hör till').selectOption({ index: 1 });
  }
  const overall = group(coach, 'Övergripande ansvar');
  await overall.getByLabel('Organisation').selectOption({ label: 'Jobbtorg Stockholm' });
  await overall.getByLabel('Person').selectOption({ label: 'Ahmed Yusuf (jobbcoach)' });
  await coach.getByLabel('Datum för gemensam uppföljning').fill(inDays(182));
  await coach.getByRole('button', { name: 'Spara utkastet' }).click();
  await coach.getByText('Utkastet är sparat.').waitFor({ state: 'attached' });
  await coach.getByRole('button', { name: 'Fastställ planen …' }).click();
  const dialog = coach.getByRole('dialog', { name: 'Fastställ planen' });
  await dialog.getByLabel('Ja, individen deltog').check();
  await dialog.getByLabel('Individen godkände planen muntligt').check();
  await dialog.getByRole('button', { name: 'Fastställ' }).click();
  await coach.locator('#plan-status').getByText('Fastställd', { exact: true }).waitFor();
  const current = coach.locator('#gallande-plan');
  for (const org of ['Försäkringskassan', 'Arbetsförmedlingen', 'Socialtjänsten Järva, ekonomiskt bistånd']) {
    await current.getByRole('heading', { name: org }).waitFor();
  }
  await axe(coach, 'the team\'s adopted plan');
  await screenshot(coach, '13-jobbcoach-gemensam-plan');
  // The referral moved on, with its follow-up six months ahead.
  await coach.goto(referralUrl);
  await coach.locator('#anmalan-status', { hasText: 'Plan fastställd' }).waitFor();
  await coach.locator('#nasta-uppfoljning').waitFor();
});

const effortName = `Stegvis mot arbete ${pnr.slice(-4)}`;

test('the förbund\'s admin adds an effort to the insatskatalog', async () => {
  const [admin] = await signedIn(browser, 'finsam.admin');
  await menu(admin, 'Insatskatalog').click();
  await admin.getByRole('heading', { level: 1, name: 'Insatskatalog' }).waitFor();
  await admin.getByRole('button', { name: 'Lägg till insatsen' }).click();
  await admin.getByRole('alert').getByText('Namn: Ange insatsens namn.').waitFor();
  await axe(admin, 'the insatskatalog with an error');
  await admin.getByLabel('Namn').fill(effortName);
  await admin.getByLabel('Beskrivning').fill('Individuellt stöd i små steg från arbetsträning till anställning.');
  await admin.getByRole('button', { name: 'Lägg till insatsen' }).click();
  await admin.locator('#insatskatalog tbody tr', { hasText: effortName }).waitFor();
  await axe(admin, 'the insatskatalog');
  await screenshot(admin, '13-admin-insatskatalog');
  noScriptErrors(admin);
  await admin.context().close();
});

test('at the follow-up the coordinator closes the referral with a Finsam effort as its outcome', async () => {
  await menu(nadia, /Finsamteam/).click();
  await nadia.getByRole('navigation', { name: 'Finsamteam' }).getByRole('link', { name: 'Uppföljningar' }).click();
  await nadia.getByRole('heading', { level: 1, name: 'Uppföljningar' }).waitFor();
  const row = nadia.locator('#finsam-uppfoljningar tbody tr', { hasText: person });
  await row.waitFor();
  await axe(nadia, 'the follow-up list');
  await screenshot(nadia, '13-koordinator-uppfoljningar');
  await row.getByRole('link', { name: person }).click();
  await nadia.getByRole('heading', { level: 1, name: `Anmälan till Finsamteam: ${person}` }).waitFor();
  await nadia.locator('#anmalan-status', { hasText: 'Plan fastställd' }).waitFor();
  await nadia.getByRole('button', { name: 'Registrera uppföljning' }).click();
  const dialog = nadia.getByRole('dialog', { name: 'Uppföljning av teamets plan' });
  await dialog.getByLabel('Hur har det gått?').fill('Arbetstränar 50 % sedan fyra månader, trivs. Fortsatt stöd behövs i en Finsam-insats.');
  await dialog.getByLabel('Avsluta med ett utfall').check();
  await dialog.getByRole('combobox', { name: /^Utfall/ }).selectOption('finsam_effort');
  await dialog.getByRole('combobox', { name: /^Insats/ }).selectOption({ label: effortName });
  await axe(nadia, 'the outcome dialog');
  await screenshot(nadia, '13-koordinator-utfall');
  await dialog.getByRole('button', { name: 'Avsluta anmälan' }).click();
  await nadia.locator('#anmalan-status', { hasText: 'Avslutad' }).waitFor();
  await nadia.locator('#utfall', { hasText: 'En Finsam-insats ur förbundets insatskatalog' }).waitFor();
  await nadia.locator('#utfall-insats', { hasText: effortName }).waitFor();
  await nadia.locator('#uppfoljningar', { hasText: 'Arbetstränar 50 %' }).waitFor();
  await axe(nadia, 'the referral, closed');
  // The coach sees it closed, live.
  await coach.locator('#anmalan-status', { hasText: 'Avslutad' }).waitFor();
  noScriptErrors(coach);
  noScriptErrors(nadia);
  noScriptErrors(fk);
});

test('the figures page for Finsam counts the referral, without personal data', async (t) => {
  const spec = await call(nadia, 'GET', '/api/openapi.json');
  if (!spec.paths['/api/statistics/finsam']) {
    t.skip('GET /api/statistics/finsam is not in the API yet');
    return;
  }
  await menu(nadia, /Finsamteam/).click();
  await nadia.getByRole('navigation', { name: 'Finsamteam' }).getByRole('link', { name: 'Statistik för Finsam' }).click();
  await nadia.getByRole('heading', { level: 1, name: 'Statistik för Finsam' }).waitFor();
  const table = nadia.locator('#finsam-tabell');
  await table.waitFor();
  await table.getByRole('rowheader', { name: 'Jobbtorg Stockholm' }).waitFor();
  assert.doesNotMatch(await nadia.locator('main').innerText(), new RegExp(person));
  await nadia.locator('#finsam-diagram').waitFor();
  await axe(nadia, 'the Finsam figures');
  await screenshot(nadia, '13-koordinator-statistik');
  await nadia.getByLabel('Indelning').selectOption('outcome');
  await nadia.locator('#finsam-tabell').waitFor();
  await axe(nadia, 'the Finsam figures by outcome');
  const [download] = await Promise.all([nadia.waitForEvent('download'), nadia.locator('#csv-finsam').click()]);
  assert.match(download.suggestedFilename(), /^finsam-.*\.csv$/);
  noScriptErrors(coach);
  noScriptErrors(nadia);
  noScriptErrors(fk);
});
