// Journey 11: calling a SIP, in three browsers signed in as three organisations at once: the
// social worker (Socialtjänsten Järva) calls Rinkeby vårdcentral (obliged) and
// Arbetsförmedlingen (optional) after recording the consents the call needs; the clinic's rehab
// coordinator answers from the organisation's inbox of calls (we come), AF declines with a
// reason, and the social worker sees the answers arrive without reloading and books the meeting.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signedIn, axe, screenshot, randomPersonnummer, noScriptErrors, tabTo } from './helpers.js';

let browser;
let sara;
let maria;
let peter;
const pnr = randomPersonnummer();
const person = `SIP-person ${pnr.slice(-4)}`;
let caseUrl;
let callUrl;

const menu = (page, name) => page.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link', { name });
const sipBadge = async (page) => Number((await page.locator('#sip-badge').innerText()).match(/\d+/)[0]);

before(async () => {
  browser = await launch();
  [sara, maria, peter] = await signedIn(browser, 'soc.sara', 'vc.rinkeby', 'af.arbetsformedlare');
});
after(async () => { await browser.close(); });

async function recordSipConsent(page, organisation) {
  await page.getByRole('button', { name: 'Registrera samtycke' }).click();
  await page.getByRole('group', { name: /Organisationer som får dela/ }).getByLabel(organisation).check();
  await page.getByRole('group', { name: 'Ändamål' }).getByLabel('SIP').check();
  await page.getByRole('group', { name: /Hur lämnades/ }).getByLabel('Muntligt').check();
  await page.getByRole('button', { name: 'Spara samtycke' }).click();
  await page.getByRole('cell', { name: organisation }).waitFor();
}

test('the social worker opens a case and records a SIP consent for the clinic', async () => {
  await sara.getByRole('heading', { level: 1, name: 'Ärenden' }).waitFor();
  await sara.getByRole('link', { name: 'Registrera individ och öppna ärende' }).click();
  await sara.getByLabel('Personnummer eller samordningsnummer').fill(pnr);
  await sara.getByLabel('Namn').fill(person);
  await sara.getByRole('button', { name: 'Registrera och öppna ärende' }).click();
  await sara.getByRole('heading', { level: 1, name: `Ärende: ${person}` }).waitFor();
  caseUrl = sara.url();
  await sara.getByRole('heading', { level: 2, name: 'SIP' }).waitFor();
  await sara.getByText('Ingen kallelse till SIP i ärendet.').waitFor();
  await recordSipConsent(sara, 'Rinkeby vårdcentral');
  await axe(sara, 'case page with a SIP consent and no call');
});

test('calling AF without a consent for SIP is refused beside the organisations field', async () => {
  await sara.getByRole('link', { name: 'Kalla till SIP' }).click();
  await sara.getByRole('heading', { level: 1, name: 'Kalla till SIP' }).waitFor();
  assert.match(sara.url(), /#\/arenden\/[0-9a-f-]+\/sip\/ny$/);
  await axe(sara, 'new SIP call, empty');
  await sara.getByRole('button', { name: 'Skicka kallelsen' }).click();
  const summary = sara.getByRole('alert');
  await summary.getByText('Syfte: Beskriv syftet med SIP-mötet.').waitFor();
  await summary.getByText('Kallade organisationer: Välj minst en organisation att kalla.').waitFor();
  await axe(sara, 'new SIP call, missing fields');

  await sara.getByLabel('Syfte').fill('Samordna insatser kring arbete, hälsa och ekonomi.');
  await sara.getByLabel('Frågor').fill('Vem gör vad under hösten? Vilket stöd behövs för att börja arbetsträna?');
  const parties = sara.getByRole('group', { name: /Kallade organisationer/ });
  await parties.getByText('Rinkeby vårdcentral (skyldig att delta)').waitFor();
  await parties.getByText(/Arbetsförmedlingen \(frivillig att delta, samtycke för SIP saknas\)/).waitFor();
  await parties.getByLabel(/Rinkeby vårdcentral/).check();
  await parties.getByLabel(/Arbetsförmedlingen/).check();
  await sara.getByLabel('Första förslaget, datum').fill(dateIn(10));
  await sara.locator('#f-t0_time').fill('10:00');
  await sara.getByLabel('Person 1, namn').fill(person);
  await sara.getByLabel('Individen begärde SIP (datum)').fill(dateIn(-7));
  await sara.getByRole('button', { name: 'Skicka kallelsen' }).click();
  // The earlier error stays until the server has answered: wait for the server's.
  const error = sara.locator('#f-organisation_ids-fel', { hasText: 'Arbetsförmedlingen' });
  await error.waitFor();
  assert.match(await error.innerText(), /Arbetsförmedlingen/);
  assert.doesNotMatch(await error.innerText(), /Rinkeby/);
  await axe(sara, 'new SIP call, consent missing for AF');
  await screenshot(sara, '11-socialsekreterare-kalla-till-sip');
});

test('with the consent for AF recorded, the call goes to both organisations\' inboxes', async () => {
  await menu(maria, /SIP-kallelser/).click();
  await maria.getByRole('heading', { level: 1, name: 'SIP-kallelser' }).waitFor();
  await maria.locator('#sip-badge').waitFor();
  const before = await sipBadge(maria);
  await maria.evaluate(() => { window.notReloaded = true; });

  await sara.goto(caseUrl);
  await sara.getByRole('heading', { level: 1, name: `Ärende: ${person}` }).waitFor();
  await recordSipConsent(sara, 'Arbetsförmedlingen');
  await sara.getByRole('link', { name: 'Kalla till SIP' }).click();
  await sara.getByLabel('Syfte').fill('Samordna insatser kring arbete, hälsa och ekonomi.');
  await sara.getByLabel('Frågor').fill('Vem gör vad under hösten?');
  const parties = sara.getByRole('group', { name: /Kallade organisationer/ });
  await parties.getByLabel(/Rinkeby vårdcentral/).check();
  await parties.getByLabel(/Arbetsförmedlingen/).check();
  await sara.getByLabel('Person 1, namn').fill(person);
  await sara.getByLabel('Individen begärde SIP (datum)').fill(dateIn(-7));
  await sara.getByRole('button', { name: 'Skicka kallelsen' }).click();
  await sara.getByRole('heading', { level: 1, name: `Kallelse till SIP: ${person}` }).waitFor();
  callUrl = sara.url();
  assert.match(callUrl, /#\/sip\/[0-9a-f-]+$/);
  await sara.locator('#ej-svarat', { hasText: 'Har inte svarat: Arbetsförmedlingen, Rinkeby vårdcentral.' }).waitFor();
  await axe(sara, 'the call, nobody has answered');
  await sara.evaluate(() => { window.notReloaded = true; });

  // The clinic's inbox and badge change live.
  await maria.locator('#sip-inkorg tbody tr', { hasText: person }).waitFor();
  await maria.waitForFunction((n) => Number(document.querySelector('#sip-badge').innerText.match(/\d+/)[0]) === n + 1, before);
  assert.equal(await maria.evaluate(() => window.notReloaded), true);
  await axe(maria, 'inbox of SIP calls');
  await screenshot(maria, '11-rehabkoordinator-sip-kallelser');
});

test('the clinic, an obliged party, says who comes; it cannot decline', async () => {
  await maria.locator('#sip-inkorg tbody tr', { hasText: person }).getByRole('link', { name: person }).click();
  await maria.getByRole('heading', { level: 1, name: `Kallelse till SIP: ${person}` }).waitFor();
  await axe(maria, 'the call, as the clinic');
  await maria.getByRole('button', { name: 'Svara på kallelsen' }).click();
  const dialog = maria.getByRole('dialog', { name: 'Svara på kallelsen till SIP' });
  await dialog.getByText('Er organisation är skyldig att delta. Ni kan föreslå en annan tid men inte avböja.').waitFor();
  assert.equal(await dialog.getByLabel('Vi avböjer').count(), 0, 'an obliged party is not offered to decline');
  await dialog.getByRole('button', { name: 'Skicka svaret' }).click();
  await dialog.getByRole('alert').getByText('Vilka kommer: Välj vilka som kommer.').waitFor();
  await axe(maria, 'answer dialog with an error');
  await dialog.getByLabel('Maria Eriksson (rehabkoordinator) (jag)').check();
  await screenshot(maria, '11-rehabkoordinator-svar');
  await dialog.getByRole('button', { name: 'Skicka svaret' }).click();
  await maria.locator('#sip-parter tr[data-answer="coming"]', { hasText: 'Rinkeby vårdcentral' }).waitFor();
  await maria.getByRole('button', { name: 'Ändra vårt svar' }).waitFor();
});

test('AF, an optional party, declines with a reason, with the keyboard only', async () => {
  await menu(peter, /SIP-kallelser/).focus();
  await peter.keyboard.press('Enter');
  await peter.locator('#sip-inkorg tbody tr', { hasText: person }).waitFor();
  await tabTo(peter, { tag: 'A', name: person }, 'the call in the inbox');
  await peter.keyboard.press('Enter');
  await peter.getByRole('heading', { level: 1, name: `Kallelse till SIP: ${person}` }).waitFor();
  await tabTo(peter, { tag: 'BUTTON', name: 'Svara på kallelsen' }, 'the answer button');
  await peter.keyboard.press('Enter');
  const dialog = peter.getByRole('dialog', { name: 'Svara på kallelsen till SIP' });
  await dialog.waitFor();
  await tabTo(peter, { tag: 'INPUT', name: 'Vi kommer' }, 'the answers');
  await peter.keyboard.press('ArrowDown');
  await peter.keyboard.press('ArrowDown');
  assert.equal(await dialog.getByLabel('Vi avböjer').isChecked(), true);
  await tabTo(peter, { tag: 'SELECT', name: 'Skäl' }, 'the reason');
  await peter.keyboard.press('ArrowDown');
  await peter.keyboard.press('ArrowDown');
  assert.equal(await dialog.getByLabel('Skäl').inputValue(), 'other');
  await tabTo(peter, { tag: 'BUTTON', name: 'Skicka svaret' }, 'the send button');
  await peter.keyboard.press('Enter');
  await dialog.getByRole('alert').getByText('Kommentar: Beskriv skälet när det är Annat skäl.').waitFor();
  await axe(peter, 'decline dialog with an error');
  await tabTo(peter, { tag: 'SELECT', name: 'Skäl' }, 'the reason again');
  await peter.keyboard.press('ArrowUp');
  await peter.keyboard.press('ArrowUp');
  assert.equal(await dialog.getByLabel('Skäl').inputValue(), 'no_open_matter');
  await screenshot(peter, '11-arbetsformedlare-avboj');
  await tabTo(peter, { tag: 'BUTTON', name: 'Skicka svaret' }, 'the send button');
  await peter.keyboard.press('Enter');
  await peter.locator('#sip-parter tr[data-answer="declined"]', { hasText: 'Vi har inget pågående ärende för personen' }).waitFor();
  await axe(peter, 'the call after declining');
});

test('the social worker sees both answers live and books the SIP meeting', async () => {
  await sara.locator('#ej-svarat', { hasText: 'Alla kallade har svarat.' }).waitFor();
  await sara.locator('#sip-parter tr', { hasText: 'Kommer: Maria Eriksson (rehabkoordinator)' }).waitFor();
  await sara.locator('#sip-parter tr', { hasText: 'Avböjer: Vi har inget pågående ärende för personen' }).waitFor();
  assert.equal(await sara.evaluate(() => window.notReloaded), true, 'the answers arrived without a reload');
  await axe(sara, 'the call, everyone has answered');
  await sara.getByRole('button', { name: 'Boka SIP-mötet' }).click();
  const dialog = sara.getByRole('dialog', { name: 'Boka SIP-mötet' });
  await dialog.getByText('Inbjudan med kalenderinbjudan går till: Maria Eriksson (rehabkoordinator).', { exact: false }).waitFor();
  await dialog.getByRole('button', { name: 'Boka mötet' }).click();
  await dialog.getByRole('alert').getByText('Plats: Ange var mötet hålls.').waitFor();
  await axe(sara, 'booking dialog with an error');
  await dialog.getByLabel('Plats').fill('Stadsdelsförvaltningen, rum 4');
  await dialog.getByRole('button', { name: 'Boka mötet' }).click();
  await sara.locator('#sip-status', { hasText: 'Mötet är bokat' }).waitFor();
  await sara.getByText(/dagar till mötet/).waitFor();
  await sara.getByRole('link', { name: 'Till mötet' }).waitFor();
  await axe(sara, 'the call, booked');
  await screenshot(sara, '11-socialsekreterare-kallelse');
  // The clinic's coordinator has the SIP meeting among her meetings.
  await menu(maria, 'Möten').click();
  await maria.locator('#mina-moten tbody tr', { hasText: 'Stadsdelsförvaltningen, rum 4' }).first().waitFor();
  await sara.goto(caseUrl);
  await sara.locator('#arendets-sip li', { hasText: 'Mötet är bokat' }).waitFor();
  await screenshot(sara, '11-socialsekreterare-arende-sip');
});

test('no script errors', () => {
  for (const page of [sara, maria, peter]) noScriptErrors(page);
});

function dateIn(days) {
  const d = new Date();
  d.setDate(d.getDate() + days);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
