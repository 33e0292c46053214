// Journey 7: a consent lifts only its recorder's secrecy. The clinic sees social services'
// case under social services' consent, but its own case stays closed to social services until
// the clinic records the same consent for its own part: one click on the consent as it sees it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signedIn, axe, screenshot, randomPersonnummer, noScriptErrors } from './helpers.js';

let browser;
let sara;
let maria;
before(async () => {
  browser = await launch();
  [sara, maria] = await signedIn(browser, 'soc.sara', 'vc.rinkeby');
});
after(async () => { await browser.close(); });

/** A JSON API call as the page's signed-in user. */
async function call(page, method, path, data) {
  const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('samverkan.session')).token);
  const response = await page.request.fetch(path, { method, data, headers: { Authorization: `Bearer ${token}` } });
  return { status: response.status(), body: await response.json().catch(() => null) };
}

const pnr = randomPersonnummer();
let saraCase;
let mariaCase;

test('social services records a consent naming the clinic; the clinic sees that case only', async () => {
  const orgs = (await call(sara, 'GET', '/api/organisations')).body;
  const rinkeby = orgs.find((o) => o.name === 'Rinkeby vårdcentral');
  const individual = await call(sara, 'POST', '/api/individuals', { personnummer: pnr, name: 'Elin Bekräftad' });
  assert.equal(individual.status, 201);
  const opened = await call(sara, 'POST', '/api/cases', { individual_id: individual.body.id, title: 'Stöd mot arbete' });
  saraCase = opened.body.id;
  const until = new Date(Date.now() + 60 * 86400000).toISOString();
  const consent = await call(sara, 'POST', `/api/cases/${saraCase}/consents`, {
    organisation_ids: [rinkeby.id], purposes: ['informationsutbyte'], forms: ['skriftligt'],
    document_reference: 'Finsam SB-7', valid_until: until,
  });
  assert.equal(consent.status, 201);

  await maria.goto(`/#/arenden/${saraCase}`);
  await maria.getByRole('heading', { level: 1, name: 'Ärende: Elin Bekräftad' }).waitFor();
  const row = maria.getByRole('row', { name: /Registrerat av Socialtjänsten/ });
  const button = row.getByRole('button', { name: /Registrera samma samtycke för vår del/ });
  await button.waitFor();
  await axe(maria, 'consent another organisation recorded, as the named party sees it');
  // Without a case of its own the clinic has nothing to share yet, and is told so.
  await button.click();
  await maria.getByRole('alert').getByText(/öppna först ett eget ärende för personen/).waitFor();
  await axe(maria, 'confirming without a case of our own');
});

test('the clinic opens its own case, which social services cannot see', async () => {
  await maria.goto('/#/arenden/ny');
  await maria.getByLabel('Personnummer eller samordningsnummer').fill(pnr);
  await maria.getByLabel('Namn').fill('E. Bekräftad');
  await maria.getByRole('button', { name: 'Registrera och öppna ärende' }).click();
  // The clinic's own record: its own name, nothing social services stored.
  await maria.getByRole('heading', { level: 1, name: 'Ärende: E. Bekräftad' }).waitFor();
  mariaCase = maria.url().split('/').pop();
  assert.equal((await call(sara, 'GET', `/api/cases/${mariaCase}`)).status, 404);
  await sara.goto(`/#/arenden/${mariaCase}`);
  await sara.getByText('Det finns inget att visa här').waitFor();
});

test('one click records the same consent for the clinic, and only then social services sees its case', async () => {
  await maria.goto(`/#/arenden/${saraCase}`);
  await maria.getByRole('heading', { level: 1, name: 'Ärende: Elin Bekräftad' }).waitFor();
  await maria.getByRole('button', { name: /Registrera samma samtycke för vår del/ }).click();
  await maria.getByText('Registrerat av Rinkeby vårdcentral för sin del').waitFor();
  await maria.getByText(/Samtycket är registrerat för er del/).waitFor();
  assert.equal(await maria.getByRole('button', { name: /Registrera samma samtycke för vår del/ }).count(), 0, 'done once');
  await axe(maria, 'consent recorded for our part');
  await screenshot(maria, '3-rehabkoordinator-samtycke-for-var-del');

  const mine = (await call(maria, 'GET', `/api/cases/${mariaCase}/consents`)).body;
  const confirmation = mine.find((k) => k.confirms_consent_id);
  assert.equal(confirmation.document_reference, 'Finsam SB-7');
  assert.equal(confirmation.case_id, mariaCase);

  await sara.goto('/#/arenden');
  await sara.getByRole('heading', { level: 1, name: 'Ärenden' }).waitFor();
  await sara.goto(`/#/arenden/${mariaCase}`);
  await sara.getByRole('heading', { level: 1, name: 'Ärende: E. Bekräftad' }).waitFor();
  await sara.getByText('Registrerat av Rinkeby vårdcentral för sin del').waitFor();
  await axe(sara, 'the clinic case, seen under the clinic consent');
  await screenshot(sara, '2-socialsekreterare-klinikens-arende');
  noScriptErrors(maria);
  noScriptErrors(sara);
});
