// Journey 10: the joint plan (SIP), in two browsers signed in as different organisations at
// once: the social worker (Socialtjänsten Järva) drafts a SIP with actions for three parties
// (her own organisation, Rinkeby vårdcentral and Arbetsförmedlingen), adopts it with the
// participation record; the clinic's coordinator finds the action in "Våra åtaganden" (the menu
// badge rises live), takes it and marks it done, which the social worker sees live. A revision
// gives version 2, shown side by side with version 1; the printable plan is saved as PDF.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signedIn, axe, screenshot, randomPersonnummer, noScriptErrors, tabTo } from './helpers.js';

let browser;
let sara;
let maria;
let planUrl;
const pnr = randomPersonnummer();
const person = `Planperson ${pnr.slice(-4)}`;
const OWN = 'Socialtjänsten Järva, ekonomiskt bistånd';
const CLINIC = 'Rinkeby vårdcentral';
const AF = 'Arbetsförmedlingen';
// This run's actions, told apart from earlier runs' against the same hub.
const RUN = Date.now() % 100000;
const CLINIC_ACTION = `Läkarbedömning av arbetsförmåga (${RUN})`;
const NOTE = 'Internt: bedömningen skickad till handläggaren.';

const pad = (n) => String(n).padStart(2, '0');
const inDays = (n) => {
  const d = new Date();
  d.setDate(d.getDate() + n);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
};
const menu = (page, name) => page.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link', { name });
const soonBadge = async (page) => Number((await page.locator('#ataganden-badge').innerText()).match(/(\d+) snart/)[1]);
const group = (page, name) => page.getByRole('group', { name, exact: true });
const commitmentRow = (page) => page.locator('#ataganden tbody tr', { hasText: CLINIC_ACTION });

before(async () => {
  browser = await launch();
  [sara, maria] = await signedIn(browser, 'soc.sara', 'vc.rinkeby');
});
after(async () => { await browser.close(); });

test('the social worker opens a case and records the SIP consent for the clinic and AF', async () => {
  await sara.getByRole('link', { name: 'Registrera individ och öppna ärende' }).click();
  await sara.getByLabel('Personnummer eller samordningsnummer').fill(pnr);
  await sara.getByLabel('Namn').fill(person);
  await sara.getByRole('button', { name: 'Registrera och öppna ärende' }).click();
  await sara.getByRole('heading', { level: 1, name: `Ärende: ${person}` }).waitFor();
  await sara.getByText('Ingen gemensam plan i ärendet.').waitFor();
  // One consent per party, so that one can end without the other.
  for (const [i, org] of [CLINIC, AF].entries()) {
    await sara.getByRole('button', { name: 'Registrera samtycke' }).click();
    await sara.getByRole('group', { name: /Organisationer som får dela/ }).getByLabel(org).check();
    await sara.getByRole('group', { name: 'Ändamål' }).getByLabel('SIP').check();
    await sara.getByRole('group', { name: /Hur lämnades/ }).getByLabel('Muntligt').check();
    await sara.getByRole('button', { name: 'Spara samtycke' }).click();
    await sara.getByRole('cell', { name: 'Aktivt, gäller nu' }).nth(i).waitFor();
  }
});

let soonBefore;

test('the social worker creates a SIP and drafts goals and actions for three parties', async () => {
  // The coordinator watches her organisation's commitments meanwhile, never reloading.
  await menu(maria, 'Våra åtaganden').click();
  await maria.getByRole('heading', { level: 1, name: 'Våra åtaganden' }).waitFor();
  await maria.locator('#ataganden-badge').waitFor();
  soonBefore = await soonBadge(maria);
  await maria.evaluate(() => { window.notReloaded = true; });
  await axe(maria, 'commitments before the plan');

  await sara.getByRole('button', { name: 'Skapa plan' }).click();
  await sara.getByRole('alert').getByText('Välj vilken sorts plan.').waitFor();
  await axe(sara, 'case page, new plan with an error');
  await sara.getByLabel('Sorts plan').selectOption('sip');
  await sara.getByLabel('Rubrik').fill('Vägen till arbete');
  await sara.getByRole('button', { name: 'Skapa plan' }).click();
  await sara.getByRole('heading', { level: 1, name: 'SIP: Vägen till arbete' }).waitFor();
  planUrl = sara.url();
  assert.match(planUrl, /#\/planer\/[0-9a-f-]{36}$/);
  await sara.locator('#plan-status').getByText('Utkast').waitFor();
  await axe(sara, 'empty draft');

  await sara.getByLabel('Individens eget mål').fill('Jag vill ha ett jobb där jag trivs och orka gå dit varje dag.');
  await sara.getByRole('button', { name: 'Lägg till huvudmål' }).click();
  await group(sara, 'Mål 1').getByLabel('Målet').fill('Egen försörjning genom arbete inom ett år.');
  await sara.getByRole('button', { name: 'Lägg till delmål' }).click();
  await group(sara, 'Mål 2').getByLabel('Målet').fill('Klara arbetsträning 25 % i tre månader.');
  assert.equal(await group(sara, 'Mål 2').getByLabel('Hör till huvudmål').inputValue() !== '', true);

  const actions = [
    ['Följa upp ekonomiskt bistånd och samordna planen', OWN, 'Sara Lind (socialsekreterare)', inDays(20)],
    // The clinic's action names no person: someone there takes it from Våra åtaganden.
    [CLINIC_ACTION, CLINIC, null, inDays(2)],
    ['Anvisa till arbetsträning', AF, 'Peter Lund (arbetsförmedlare)', inDays(14)],
  ];
  for (const [i, [what, org, who, due]] of actions.entries()) {
    await sara.getByRole('button', { name: 'Lägg till insats' }).click();
    const box = group(sara, `Insats ${i + 1}`);
    await box.getByLabel('Vad ska göras').fill(what);
    await box.getByLabel('Ansvarig organisation').selectOption({ label: org });
    if (who) await box.getByLabel('Ansvarig person').selectOption({ label: who });
    await box.getByLabel('Klart senast').fill(due);
    await box.getByLabel('Mål som insatsen hör till').selectOption({ index: i === 2 ? 2 : 1 });
  }
  const overall = group(sara, 'Övergripande ansvar');
  await overall.getByLabel('Organisation').selectOption({ label: OWN });
  await overall.getByLabel('Person').selectOption({ label: 'Sara Lind (socialsekreterare)' });
  // Försäkringskassan is not covered by the consent: the refusal is shown beside the field.
  const third = group(sara, 'Insats 3');
  await third.getByLabel('Ansvarig organisation').selectOption({ label: 'Försäkringskassan' });
  await sara.getByRole('button', { name: 'Spara utkastet' }).click();
  const orgField = third.getByLabel('Ansvarig organisation');
  await sara.locator('[id="f-actions[2].responsible.organisation_id-fel"]').getByText(/Försäkringskassan/).waitFor();
  assert.equal(await orgField.getAttribute('aria-invalid'), 'true');
  await sara.getByRole('alert').getByRole('link', { name: /Insats 3, ansvarig organisation/ }).waitFor();
  await axe(sara, 'draft with a consent_missing beside the action');
  await orgField.selectOption({ label: AF });
  await third.getByLabel('Ansvarig person').selectOption({ label: 'Peter Lund (arbetsförmedlare)' });
  await sara.getByRole('button', { name: 'Spara utkastet' }).click();
  await sara.getByText('Utkastet är sparat.').waitFor({ state: 'attached' });
  assert.equal(await sara.locator('[id="f-actions[2].responsible.organisation_id-fel"]').count(), 0);
  await axe(sara, 'draft with goals and actions');
  await screenshot(sara, '10-socialsekreterare-plan-utkast');
});

test('adoption without a follow-up date is refused beside the field; then the plan is adopted', async () => {
  await sara.getByRole('button', { name: 'Fastställ planen …' }).click();
  let dialog = sara.getByRole('dialog', { name: 'Fastställ planen' });
  await dialog.getByRole('button', { name: 'Fastställ' }).click();
  await dialog.getByRole('alert').getByText(/Individens godkännande/).waitFor();
  await axe(sara, 'adoption dialog with an error');
  await dialog.getByLabel('Individen godkände planen muntligt').check();
  await dialog.getByRole('button', { name: 'Fastställ' }).click();
  // The server's adoption problem lands beside the follow-up field of the editor.
  const followUp = sara.getByLabel('Datum för gemensam uppföljning');
  await sara.locator('[id="f-follow_up_on-fel"]').waitFor();
  assert.equal(await followUp.getAttribute('aria-invalid'), 'true');
  assert.match(await followUp.getAttribute('aria-describedby'), /f-follow_up_on-fel/);
  await axe(sara, 'draft with the adoption problem beside its field');

  await followUp.fill(inDays(30));
  await sara.getByRole('button', { name: 'Fastställ planen …' }).click();
  dialog = sara.getByRole('dialog', { name: 'Fastställ planen' });
  const took = dialog.getByRole('group', { name: /Organisationer som deltog/ });
  for (const org of [OWN, CLINIC, AF]) assert.equal(await took.getByLabel(org).isChecked(), true, org);
  await dialog.getByLabel('Ja, individen deltog').check();
  await dialog.getByLabel('Individen godkände planen muntligt').check();
  await screenshot(sara, '10-socialsekreterare-faststall');
  await dialog.getByRole('button', { name: 'Fastställ' }).click();
  await sara.locator('#plan-status').getByText('Fastställd', { exact: true }).waitFor();
  await sara.locator('#plan-status').getByText('version 1').waitFor();
  const current = sara.locator('#gallande-plan');
  for (const org of [OWN, CLINIC, AF]) await current.getByRole('heading', { name: org }).waitFor();
  await sara.locator('#plan-status').getByText('Individen godkände planen muntligt.').waitFor();
  await axe(sara, 'adopted plan');
  await screenshot(sara, '10-socialsekreterare-plan');
  await sara.evaluate(() => { window.notReloaded = true; });
});

test('the clinic sees its action in Våra åtaganden live, takes it and marks it done; the social worker sees it live', async () => {
  await commitmentRow(maria).waitFor();
  await maria.locator('#ataganden-badge', { hasText: `${soonBefore + 1} snart` }).waitFor();
  assert.equal(await maria.evaluate(() => window.notReloaded), true, 'the commitments changed without a reload');
  await commitmentRow(maria).getByText('Snart').waitFor();
  await commitmentRow(maria).getByRole('link', { name: `SIP för ${person}` }).waitFor();
  await axe(maria, 'commitments with the new action');
  await screenshot(maria, '10-rehabkoordinator-ataganden');

  await commitmentRow(maria).getByRole('button', { name: /^Ta åtagandet/ }).click();
  await commitmentRow(maria).getByText('Maria Eriksson (rehabkoordinator)').waitFor();
  // The status is reported with the keyboard only.
  await commitmentRow(maria).getByRole('button', { name: /^Ändra status/ }).focus();
  await maria.keyboard.press('Enter');
  const dialog = maria.getByRole('dialog', { name: 'Ändra status för insatsen' });
  await dialog.waitFor();
  await tabTo(maria, { tag: 'BUTTON', name: 'Spara status' }, 'the save button');
  await maria.keyboard.press('Enter');
  await dialog.getByRole('alert').getByText(/Välj den nya statusen/).waitFor();
  await axe(maria, 'status dialog with an error');
  await tabTo(maria, { tag: 'INPUT', name: 'Pågår' }, 'the first status');
  await maria.keyboard.press('ArrowDown');
  assert.equal(await dialog.getByLabel('Klar').isChecked(), true);
  await tabTo(maria, { tag: 'TEXTAREA', name: 'Kort notering' }, 'the note');
  await maria.keyboard.type(NOTE);
  await tabTo(maria, { tag: 'BUTTON', name: 'Spara status' }, 'the save button');
  await maria.keyboard.press('Enter');
  await commitmentRow(maria).waitFor({ state: 'detached' });
  await maria.locator('#ataganden-badge', { hasText: `${soonBefore} snart` }).waitFor();

  // The social worker's plan page, never reloaded, shows the new status.
  const row = sara.locator('#gallande-plan tr', { hasText: CLINIC_ACTION });
  await row.locator('.action-status', { hasText: 'Klar' }).waitFor();
  await row.getByText('Maria Eriksson (rehabkoordinator)').waitFor();
  assert.equal(await sara.evaluate(() => window.notReloaded), true, 'the plan changed without a reload');

  // The clinic reads the whole plan; only its own action has buttons.
  await maria.goto(planUrl);
  await maria.getByRole('heading', { level: 1, name: 'SIP: Vägen till arbete' }).waitFor();
  const theirs = maria.locator('#gallande-plan tr', { hasText: 'Anvisa till arbetsträning' });
  await theirs.waitFor();
  assert.equal(await theirs.getByRole('button').count(), 0);
  assert.equal(await maria.getByRole('button', { name: 'Revidera planen' }).count(), 0);
  await axe(maria, 'plan, read by the clinic');
  await screenshot(maria, '10-rehabkoordinator-plan');
});

test('a revision becomes version 2, shown side by side with version 1', async () => {
  await sara.getByRole('button', { name: 'Revidera planen' }).click();
  await sara.getByRole('heading', { name: /Ny version/ }).waitFor();
  await group(sara, 'Insats 3').getByLabel('Klart senast').fill(inDays(21));
  await sara.getByRole('button', { name: 'Lägg till delmål' }).click();
  await group(sara, 'Mål 3').getByLabel('Målet').fill('Ha en fungerande dygnsrytm.');
  await axe(sara, 'revision draft');
  await sara.getByRole('button', { name: 'Fastställ planen …' }).click();
  const dialog = sara.getByRole('dialog', { name: 'Fastställ planen' });
  await dialog.getByLabel('Individen godkände planen skriftligt').check();
  await dialog.getByRole('button', { name: 'Fastställ' }).click();
  await sara.locator('#plan-status').getByText('version 2').waitFor();

  await sara.getByRole('link', { name: 'Versioner' }).click();
  await sara.getByRole('heading', { level: 1, name: /Versioner av SIP/ }).waitFor();
  await sara.locator('#versioner tbody tr').nth(1).waitFor();
  const changes = sara.locator('#andringar');
  await changes.getByText('Ha en fungerande dygnsrytm.').waitFor();
  await changes.locator('tr', { hasText: 'Anvisa till arbetsträning' }).waitFor();
  await axe(sara, 'versions, 2 against 1');
  await screenshot(sara, '10-socialsekreterare-versioner');
  await sara.getByRole('button', { name: 'Visa version 1' }).click();
  await sara.getByRole('heading', { name: /^Version 1, fastställd/ }).waitFor();
  await sara.getByText('Första versionen: inget att jämföra med.').waitFor();
  await axe(sara, 'versions, version 1');
});

test('the printable plan is in plain Swedish, without the agencies\' notes, and is saved as PDF', async () => {
  await sara.goto(planUrl);
  await sara.getByRole('link', { name: 'Utskrift för individen' }).click();
  await sara.getByRole('heading', { level: 1, name: /SIP \(samordnad individuell plan\)/ }).waitFor();
  await sara.getByText(`För ${person}`).waitFor();
  for (const text of ['Ditt eget mål', 'Vem gör vad och när', 'Vem har det övergripande ansvaret', 'Nästa gemensamma uppföljning', 'Så når du oss']) {
    await sara.getByRole('heading', { name: text }).waitFor();
  }
  await sara.locator('#vem-gor-vad').getByText(CLINIC_ACTION).waitFor();
  await sara.locator('#kontakter').getByText('rehab.rinkeby@example.se').waitFor();
  await sara.locator('#kontakter').getByText('Maria Eriksson').waitFor();
  assert.equal(await sara.getByText(NOTE).count(), 0, 'the clinic\'s note is not on the paper');
  await axe(sara, 'printable plan');
  await screenshot(sara, '10-plan-utskrift');
  await sara.emulateMedia({ media: 'print' });
  assert.equal(await sara.getByRole('navigation', { name: 'Huvudmeny' }).isVisible(), false);
  assert.equal(await sara.getByRole('button', { name: 'Skriv ut planen' }).isVisible(), false);
  await sara.pdf({ path: new URL('../screenshots/10-plan-utskrift.pdf', import.meta.url).pathname });
  await sara.emulateMedia({ media: 'screen' });
});

test('the follow-up is booked as a meeting in one step; the case page lists the plan', async () => {
  await sara.goto(planUrl);
  await sara.getByRole('button', { name: 'Boka uppföljningen som möte' }).click();
  const dialog = sara.getByRole('dialog', { name: 'Boka uppföljningen som möte' });
  assert.equal(await dialog.getByLabel('Datum').inputValue(), inDays(30));
  // Neither place nor video link: the server's refusal lands beside the place.
  await dialog.getByRole('button', { name: 'Boka mötet' }).click();
  await dialog.locator('#f-location-fel').waitFor();
  assert.equal(await dialog.getByLabel('Plats').getAttribute('aria-invalid'), 'true');
  await axe(sara, 'follow-up meeting dialog with an error');
  await dialog.getByLabel('Plats').fill(`Stadsdelsförvaltningen, rum ${RUN}`);
  await dialog.getByRole('button', { name: 'Boka mötet' }).click();
  await sara.getByRole('link', { name: 'Öppna mötet' }).click();
  await sara.getByRole('heading', { level: 1 }).filter({ hasText: /SIP/ }).waitFor();
  await sara.getByText(`Stadsdelsförvaltningen, rum ${RUN}`).first().waitFor();
  await sara.getByText('Maria Eriksson (rehabkoordinator)').first().waitFor();
  await axe(sara, 'the booked follow-up meeting');
  // The follow-up date is in the calendar too (30 days ahead: two weeks on), leading to the plan.
  await menu(sara, 'Kalender').click();
  await sara.getByRole('heading', { level: 1, name: 'Kalender' }).waitFor();
  await sara.getByRole('button', { name: 'Nästa vecka' }).click();
  await sara.getByRole('button', { name: 'Nästa vecka' }).click();
  const followUpItem = sara.locator(`.calendar-item a[href="#/planer/${planUrl.split('/').pop()}"]`);
  await followUpItem.waitFor();
  assert.equal(await followUpItem.innerText(), 'Uppföljning av SIP');
  await axe(sara, 'calendar with the follow-up');
  await screenshot(sara, '10-socialsekreterare-kalender');
  await followUpItem.click();
  await sara.getByRole('heading', { level: 1, name: 'SIP: Vägen till arbete' }).waitFor();
  await sara.getByRole('link', { name: /Till ärendet/ }).click();
  await sara.getByRole('heading', { level: 1, name: `Ärende: ${person}` }).waitFor();
  await sara.locator('#arendets-planer').getByText('Fastställd').waitFor();
  await axe(sara, 'case page with its plan');
  await screenshot(sara, '10-socialsekreterare-arende-med-plan');
});

test('a never-adopted draft is discarded whole; a party losing consent is flagged; the plan is closed and stays readable', async () => {
  await sara.getByLabel('Sorts plan').selectOption('sip');
  await sara.getByLabel('Rubrik').fill('Ett utkast som kastas');
  await sara.getByRole('button', { name: 'Skapa plan' }).click();
  await sara.getByRole('heading', { level: 1, name: 'SIP: Ett utkast som kastas' }).waitFor();
  await sara.getByRole('button', { name: 'Kasta utkastet' }).click();
  const discard = sara.getByRole('dialog', { name: 'Kasta utkastet' });
  await discard.getByText('tas bort helt').waitFor();
  await axe(sara, 'discard dialog');
  await discard.getByRole('button', { name: 'Kasta utkastet' }).click();
  await sara.getByRole('heading', { level: 1, name: `Ärende: ${person}` }).waitFor();
  await sara.locator('#arendets-planer').getByText('Vägen till arbete').waitFor();
  assert.equal(await sara.locator('#arendets-planer').getByText('Ett utkast som kastas').count(), 0);

  // Arbetsförmedlingen's consent ends: its open action is flagged as needing a new responsible.
  await sara.getByRole('row', { name: new RegExp(AF) }).getByRole('button', { name: /^Återkalla/ }).click();
  const end = sara.getByRole('dialog', { name: 'Återkalla samtycke' });
  await end.getByLabel('Skäl').fill('Individen återkallade samtycket för Arbetsförmedlingen.');
  await end.getByRole('button', { name: 'Återkalla samtycket' }).click();
  await sara.getByRole('cell', { name: /Återkallat/ }).waitFor();
  await sara.locator('#arendets-planer').getByText('Insatser saknar ansvarig').waitFor();
  await sara.goto(planUrl);
  await sara.getByText('En insats saknar ansvarig').waitFor();
  await sara.locator('#gallande-plan tr', { hasText: 'Anvisa till arbetsträning' }).getByText('Behöver ny ansvarig').waitFor();
  await axe(sara, 'plan with an action needing a new responsible');
  await screenshot(sara, '10-socialsekreterare-ny-ansvarig');
  await sara.getByRole('button', { name: 'Avsluta planen' }).click();
  const close = sara.getByRole('dialog', { name: 'Avsluta planen' });
  await axe(sara, 'close dialog');
  await close.getByRole('button', { name: 'Avsluta planen' }).click();
  await sara.locator('#plan-status').getByText('Avslutad', { exact: true }).waitFor();
  assert.equal(await sara.getByRole('button', { name: 'Revidera planen' }).count(), 0);
  assert.equal(await sara.locator('#gallande-plan').getByRole('button').count(), 0);
  await sara.getByRole('link', { name: 'Versioner' }).click();
  await sara.locator('#versioner tbody tr').nth(1).waitFor();
  await axe(sara, 'versions of a closed plan');
  noScriptErrors(sara);
  noScriptErrors(maria);
});
