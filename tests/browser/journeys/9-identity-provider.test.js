// Journey 9: sign-in through the organisations' identity providers (tests/oidc: two real
// OpenID Connect issuers). Rinkeby vårdcentral signs in through the region's (HSA-id, LoA 3),
// the social services through the municipality's (employee number, a user made without a
// password of the hub's own). Each admin binds a user
// to their identifier on the users page; the users then sign in through their provider. The
// municipal newcomer hands a case over with a note and books a meeting without a case; signing
// out offers the provider's sign-out. Axe-clean on every hub page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, launch, open, signIn, axe, screenshot, randomPersonnummer, noScriptErrors,
} from './helpers.js';

let browser;
const stamp = String(Date.now() % 1000000);
const USERNAME = `soc.idp${stamp}`;
const NAME = `Ida Persson ${stamp} (socialsekreterare)`;
const SARA = 'Sara Lind (socialsekreterare)';
const MARIA = 'Maria Eriksson (rehabkoordinator)';

before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

/** From the hub's sign-in page through the provider's test page as `account`. */
async function signInWith(page, button, account) {
  await page.goto(BASE);
  await page.getByRole('heading', { name: 'Logga in via din organisation' }).waitFor();
  await axe(page, 'sign-in page with identity providers');
  await page.getByRole('link', { name: button }).click();
  // The provider's own (test) page: choose the account.
  await page.getByRole('button', { name: account, exact: true }).click();
  await page.getByRole('button', { name: 'Logga ut' }).waitFor();
  assert.doesNotMatch(page.url(), /inloggning\/|code=|state=/, 'the one-time code is gone from the address');
}

test('an admin binds a user to an HSA-id, who then signs in through the region', async () => {
  const admin = await open(browser);
  await signIn(admin, 'vc.rinkeby.admin');
  await admin.getByRole('heading', { level: 1, name: /Användare i/ }).waitFor();
  const maria = admin.locator('#anvandare tbody tr', { hasText: 'vc.rinkeby' }).filter({ hasNotText: 'admin' });
  await maria.getByRole('button', { name: /^Ändra/ }).click();
  const edit = admin.getByRole('dialog', { name: `Ändra ${MARIA}` });
  await edit.getByLabel('Identitet hos identitetsleverantören').fill('SE2321000016-RKBY1');
  await axe(admin, 'change user dialog with the identifier');
  await edit.getByRole('button', { name: 'Spara ändringarna' }).click();
  await maria.getByRole('cell', { name: 'SE2321000016-RKBY1' }).waitFor();

  const page = await open(browser);
  await signInWith(page, /Logga in med SITHS \(Region Test\)/, 'maria-siths');
  assert.match(await page.locator('.who').innerText(), /Maria Eriksson.*Rinkeby vårdcentral/);
  await axe(page, 'signed in through the region');
  noScriptErrors(page);
  noScriptErrors(admin);
});

test('a user the admin creates with an employee number signs in through the municipality, hands over a case and books a meeting', async () => {
  const admin = await open(browser);
  await signIn(admin, 'soc.admin');
  await admin.getByRole('button', { name: 'Ny användare' }).click();
  const dialog = admin.getByRole('dialog', { name: 'Ny användare' });
  await dialog.getByLabel('Användarnamn').fill(USERNAME);
  await dialog.getByLabel(/^Namn/).fill(NAME);
  await dialog.getByLabel('E-post').fill(`${USERNAME}@example.se`);
  await dialog.getByRole('checkbox', { name: 'Socialsekreterare' }).check();
  // No password: this user signs in only through the municipality, so the identity is asked for.
  await dialog.getByRole('button', { name: 'Skapa användaren' }).click();
  await dialog.locator('#f-password-fel', { hasText: 'Ange ett lösenord, eller användarens identitet hos organisationens inloggning.' }).waitFor();
  await dialog.getByLabel('Identitet hos identitetsleverantören').fill('70001');
  await axe(admin, 'new user dialog with an identifier and no password');
  await dialog.getByRole('button', { name: 'Skapa användaren' }).click();
  const row = admin.locator('#anvandare tbody tr', { hasText: USERNAME });
  await row.getByRole('cell', { name: '70001' }).waitFor();
  await axe(admin, 'users with the bound user');

  const ida = await open(browser);
  await signInWith(ida, /Logga in med Järva kommun-inloggning/, 'kommun-anstalld');
  assert.match(await ida.locator('.who').innerText(), new RegExp(`Ida Persson ${stamp}`));
  await screenshot(ida, '9-inloggad-via-kommunen');

  // A case, handed over to Sara with a note.
  const pnr = randomPersonnummer();
  const person = `Idp ${pnr.slice(-4)}`;
  await ida.getByRole('link', { name: 'Registrera individ och öppna ärende' }).click();
  await ida.getByLabel('Personnummer eller samordningsnummer').fill(pnr);
  await ida.getByLabel('Namn').fill(person);
  await ida.getByRole('button', { name: 'Registrera och öppna ärende' }).click();
  await ida.getByRole('heading', { level: 1, name: `Ärende: ${person}` }).waitFor();
  await ida.getByRole('button', { name: 'Lämna över ärendet' }).click();
  const handover = ida.getByRole('dialog', { name: 'Lämna över ärendet' });
  await handover.getByRole('option', { name: SARA }).waitFor({ state: 'attached' });
  await handover.getByLabel('Ny ansvarig').selectOption({ label: SARA });
  await handover.getByLabel('Överlämningsanteckning').fill('Inloggad via kommunens IdP; Sara tar över från måndag.');
  await handover.getByRole('button', { name: 'Lämna över' }).click();
  const history = ida.locator('#ansvarshistorik tbody tr');
  await history.nth(1).getByText(SARA).waitFor();
  assert.match(await history.nth(1).innerText(), /Sara tar över från måndag/);
  await axe(ida, 'case handed over by the provider-signed-in user');

  // A meeting without a case, with Maria at Rinkeby.
  await ida.getByRole('link', { name: 'Kalender' }).click();
  await ida.getByRole('link', { name: 'Boka möte utan ärende' }).click();
  await ida.getByRole('heading', { level: 1, name: 'Boka möte utan ärende' }).waitFor();
  await ida.getByLabel('Typ av möte').selectOption({ label: 'Annat möte' });
  const place = `Järva nätverksmöte ${stamp}`;
  await ida.getByLabel('Plats').fill(place);
  await ida.getByRole('group', { name: /Rinkeby vårdcentral/ }).getByLabel(MARIA).check();
  await ida.getByRole('button', { name: 'Boka mötet' }).click();
  await ida.getByRole('heading', { level: 1, name: 'Annat möte' }).waitFor();
  await axe(ida, 'meeting without a case booked after a provider sign-in');

  // Signing out ends the hub session and offers the provider's sign-out.
  await ida.getByRole('button', { name: 'Logga ut' }).click();
  const idpOut = ida.getByRole('link', { name: 'Logga ut även hos din organisations inloggningstjänst' });
  await idpOut.waitFor();
  assert.match(await idpOut.getAttribute('href'), /\/session\/end\?.*client_id=samverkan-kommun/);
  await axe(ida, 'signed out, offered the provider sign-out');
  await screenshot(ida, '9-utloggad-erbjuden-idp-utloggning');
  noScriptErrors(ida);
  noScriptErrors(admin);
});

test('a refusal at the provider ends on a Swedish page that says what to do', async () => {
  const page = await open(browser);
  await page.getByRole('link', { name: /Logga in med SITHS/ }).click();
  await page.getByRole('button', { name: 'Avbryt' }).click();
  await page.getByRole('heading', { level: 1, name: 'Inloggningen avbröts' }).waitFor();
  assert.equal(await page.locator('#felkod').innerText(), 'access_denied');
  assert.doesNotMatch(page.url(), /SE2321000016|70001/);
  await axe(page, 'provider refusal page');
  await page.getByRole('link', { name: 'Till inloggningen' }).click();
  await page.getByRole('heading', { level: 1, name: 'Logga in' }).waitFor();
});
