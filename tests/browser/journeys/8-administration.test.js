// Journey 8: administration in the browser. The organisation admin creates a user, changes
// their roles, deactivates and reactivates them, and sees each user's last sign-in; the
// social worker hands a case over to that user with a note (the history of responsibility
// shows it), closes a case with a reason, and books a meeting without a case from the
// calendar. Axe-clean in every state, errors beside their fields.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, signIn, axe, screenshot, randomPersonnummer, noScriptErrors } from './helpers.js';

let browser;
const stamp = String(Date.now() % 1000000);
const USERNAME = `soc.nils${stamp}`;
const NAME = `Nils Ek ${stamp} (socialsekreterare)`;
const MARIA = 'Maria Eriksson (rehabkoordinator)';

before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

const userRow = (page) => page.locator('#anvandare tbody tr', { hasText: USERNAME });

test('the admin creates a user, changes their roles, deactivates and reactivates them', async () => {
  const page = await open(browser);
  await signIn(page, 'soc.admin');
  await page.getByRole('heading', { level: 1, name: /Användare i/ }).waitFor();
  const admin = page.locator('#anvandare tbody tr', { hasText: 'soc.admin' });
  assert.notEqual(await admin.locator('td').nth(5).innerText(), 'Aldrig', 'the admin has just signed in');

  await page.getByRole('button', { name: 'Ny användare' }).click();
  const dialog = page.getByRole('dialog', { name: 'Ny användare' });
  await dialog.getByRole('button', { name: 'Skapa användaren' }).click();
  await dialog.getByRole('alert').getByText('Roller: Välj minst en roll.').waitFor();
  assert.equal(await dialog.getByLabel(/^Namn/).getAttribute('aria-invalid'), 'true');
  await axe(page, 'new user dialog with errors');

  await dialog.getByLabel('Användarnamn').fill(USERNAME);
  await dialog.getByLabel(/^Namn/).fill(NAME);
  await dialog.getByLabel('E-post').fill('inte-en-adress');
  await dialog.getByLabel('Lösenord').fill('ett-långt-lösenord');
  await dialog.getByRole('checkbox', { name: 'Socialsekreterare' }).check();
  await dialog.getByRole('button', { name: 'Skapa användaren' }).click();
  // The API's field error lands beside its field.
  await dialog.locator('#f-email-fel').waitFor();
  assert.equal(await dialog.getByLabel('E-post').getAttribute('aria-invalid'), 'true');
  await axe(page, 'new user dialog with the API field error');
  await dialog.getByLabel('E-post').fill(`${USERNAME}@example.se`);
  await dialog.getByRole('button', { name: 'Skapa användaren' }).click();
  await userRow(page).waitFor();
  assert.match(await userRow(page).innerText(), /Socialsekreterare\s+Aktiv\s+Aldrig/);
  await axe(page, 'users with the new user');

  await userRow(page).getByRole('button', { name: /^Ändra/ }).click();
  const edit = page.getByRole('dialog', { name: `Ändra ${NAME}` });
  await edit.getByRole('checkbox', { name: 'Rehabansvarig' }).check();
  await axe(page, 'change user dialog');
  await edit.getByRole('button', { name: 'Spara ändringarna' }).click();
  await userRow(page).getByText('Rehabansvarig, Socialsekreterare').waitFor();

  await userRow(page).getByRole('button', { name: /^Inaktivera/ }).click();
  const off = page.getByRole('dialog', { name: `Inaktivera ${NAME}` });
  await axe(page, 'deactivate dialog');
  await off.getByRole('button', { name: 'Inaktivera' }).click();
  await userRow(page).getByText('Inaktiverad').waitFor();
  await userRow(page).getByRole('button', { name: /^Aktivera/ }).click();
  await page.getByRole('dialog', { name: `Aktivera ${NAME}` }).getByRole('button', { name: 'Aktivera' }).click();
  await userRow(page).getByRole('cell', { name: 'Aktiv', exact: true }).waitFor();
  await axe(page, 'users after reactivation');
  await screenshot(page, '8-admin-anvandare');
  noScriptErrors(page);
});

test('the social worker hands a case over with a note and closes it with a reason', async () => {
  const sara = await open(browser);
  await signIn(sara, 'soc.sara');
  const pnr = randomPersonnummer();
  const person = `Överlämning ${pnr.slice(-4)}`;
  await sara.getByRole('link', { name: 'Registrera individ och öppna ärende' }).click();
  await sara.getByLabel('Personnummer eller samordningsnummer').fill(pnr);
  await sara.getByLabel('Namn').fill(person);
  await sara.getByRole('button', { name: 'Registrera och öppna ärende' }).click();
  await sara.getByRole('heading', { level: 1, name: `Ärende: ${person}` }).waitFor();
  const history = sara.locator('#ansvarshistorik tbody tr');
  await history.first().getByText('Sara Lind').waitFor();
  assert.equal(await history.count(), 1);

  await sara.getByRole('button', { name: 'Lämna över ärendet' }).click();
  const handover = sara.getByRole('dialog', { name: 'Lämna över ärendet' });
  await handover.getByRole('option', { name: NAME }).waitFor({ state: 'attached' });
  await handover.getByRole('button', { name: 'Lämna över' }).click();
  await handover.locator('#f-responsible_user_id-fel').waitFor();
  await axe(sara, 'handover dialog with an error');
  await handover.getByLabel('Ny ansvarig').selectOption({ label: NAME });
  const note = 'Personen har ett möte med FK den 3 december.\nRing helst på förmiddagen.';
  await handover.getByLabel('Överlämningsanteckning').fill(note);
  await handover.getByRole('button', { name: 'Lämna över' }).click();
  await history.nth(1).getByText(NAME).waitFor();
  assert.equal(await history.count(), 2);
  assert.match(await history.nth(1).innerText(), /Personen har ett möte med FK den 3 december/);
  assert.match(await history.nth(1).innerText(), /Lämnat av Sara Lind/);
  assert.doesNotMatch(await history.nth(0).innerText(), /Pågår/, 'Sara\'s period has ended');
  assert.match(await sara.locator('.facts').innerText(), new RegExp(`Ansvarig\\s+${NAME.replace(/[()]/g, '\\$&')}`));
  await axe(sara, 'case with its history of responsibility');
  await screenshot(sara, '8-socialsekreterare-overlamning');

  await sara.getByRole('button', { name: 'Avsluta ärendet' }).click();
  const close = sara.getByRole('dialog', { name: 'Avsluta ärendet' });
  await close.getByRole('radio', { name: 'Annat skäl' }).check();
  await close.getByRole('button', { name: 'Avsluta ärendet' }).click();
  await close.locator('#f-close_text-fel').waitFor();
  assert.equal(await close.getByLabel('Beskrivning').getAttribute('aria-invalid'), 'true');
  await axe(sara, 'close dialog with an error');
  await close.getByRole('radio', { name: 'Personen har flyttat' }).check();
  await close.getByRole('button', { name: 'Avsluta ärendet' }).click();
  await sara.locator('#arendestatus').getByText('Avslutat. Personen har flyttat').waitFor();
  await sara.getByRole('button', { name: 'Öppna ärendet igen' }).waitFor();
  await axe(sara, 'closed case');
  noScriptErrors(sara);
});

test('the social worker books a meeting without a case from the calendar', async () => {
  const sara = await open(browser);
  await signIn(sara, 'soc.sara');
  await sara.getByRole('link', { name: 'Kalender' }).click();
  await sara.getByRole('link', { name: 'Boka möte utan ärende' }).click();
  await sara.getByRole('heading', { level: 1, name: 'Boka möte utan ärende' }).waitFor();
  await sara.getByRole('group', { name: /Rinkeby vårdcentral/ }).getByLabel(MARIA).waitFor();
  await axe(sara, 'booking without a case');
  await sara.getByLabel('Typ av möte').selectOption({ label: 'Annat möte' });
  await sara.getByRole('button', { name: 'Boka mötet' }).click();
  await sara.getByRole('alert').getByText('Plats: Ange en plats eller en videolänk.').waitFor();
  await axe(sara, 'booking without a case, missing place');
  const place = `Stadshuset, nätverksmöte ${stamp}`;
  await sara.getByLabel('Plats').fill(place);
  await sara.getByRole('group', { name: /Rinkeby vårdcentral/ }).getByLabel(MARIA).check();
  await sara.getByRole('button', { name: 'Boka mötet' }).click();
  await sara.getByRole('heading', { level: 1, name: 'Annat möte' }).waitFor();
  assert.equal(await sara.getByRole('link', { name: 'Till ärendet' }).count(), 0, 'no case');
  await axe(sara, 'meeting without a case');
  await sara.getByRole('link', { name: 'Kalender' }).click();
  await sara.locator('.calendar-item', { hasText: place }).first().waitFor();
  await screenshot(sara, '8-alla-mote-utan-arende');
  noScriptErrors(sara);
});
