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

const FORBUND = 'Samordningsförbundet Stockholms stad';
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
