// Journey 12: figures. The admin grants a new user the statistik role; that user lands on the
// figures page (and sees no cases), picks a period by keyboard, reads the table and the
// chart, and downloads the CSV file; a unit lead finds the same page in the menu.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { launch, open, signIn, axe, screenshot, tabTo, noScriptErrors, randomPersonnummer, PASSWORD, call } from './helpers.js';

let browser;
before(async () => { browser = await launch(); });

/** Sara sends eleven inquiries to each of two receiving units and withdraws five of each: 5 + 6 per
 * clinic, so that each clinic's total shows (with 5 + 5 it would follow that both are 5). */
async function arrangeInquiries() {
  const sara = await open(browser);
  await signIn(sara, 'soc.sara');
  const orgs = await call(sara, 'GET', '/api/organisations');
  // Rinkeby's clinic and the psychiatry: the Husby and Tensta clinics must stay untouched for
  // the empty states that journeys 5 and 6 check (the journeys share one hub).
  const clinics = orgs.filter((o) => (o.kind === 'vardcentral' && /Rinkeby/.test(o.name)) || o.kind === 'psykiatri');
  assert.equal(clinics.length, 2, 'the demo has Rinkeby vårdcentral and one psychiatry');
  const individual = await call(sara, 'POST', '/api/individuals', { personnummer: randomPersonnummer().replace('-', ''), name: 'Statistikperson' });
  const kase = await call(sara, 'POST', '/api/cases', { individual_id: individual.id, title: 'Stöd mot arbete' });
  await call(sara, 'POST', `/api/cases/${kase.id}/consents`, {
    organisation_ids: clinics.map((c) => c.id), purposes: ['rehabiliteringsforfragan'], forms: ['muntligt'],
    valid_until: new Date(Date.now() + 90 * 86400000).toISOString(),
  });
  for (const clinic of clinics) {
    for (let i = 0; i < 11; i += 1) {
      const q = await call(sara, 'POST', `/api/cases/${kase.id}/inquiries`, {
        recipient_organisation_id: clinic.id, activities: ['arbetsträning'], questions: 'Vad klarar personen?',
        contact: { name: 'Sara Lind', phone: '08-123 456 78', email: 'sara.lind@example.se' },
      });
      await call(sara, 'POST', `/api/inquiries/${q.id}/send`);
      if (i < 5) await call(sara, 'POST', `/api/inquiries/${q.id}/withdraw`);
    }
  }
  await sara.context().close();
  return clinics.map((c) => c.name);
}
after(async () => { await browser.close(); });

test('a statistics reader granted by the admin reads the figures and downloads them as CSV', async () => {
  const clinics = await arrangeInquiries();
  const admin = await open(browser);
  await signIn(admin, 'soc.admin');
  await admin.getByRole('heading', { level: 1, name: /Användare i/ }).waitFor();
  const username = `statistik.${Date.now() % 100000}`;
  await admin.getByRole('button', { name: 'Ny användare' }).click();
  await admin.getByLabel('Användarnamn').fill(username);
  await admin.getByLabel(/^Namn/).fill('Stina Statistiker');
  await admin.getByLabel('E-post').fill(`${username}@example.se`);
  await admin.getByLabel('Lösenord').fill(PASSWORD);
  await admin.getByRole('checkbox', { name: 'Statistik (läser bara statistik)' }).check();
  await admin.getByRole('button', { name: 'Skapa användaren' }).click();
  await admin.getByRole('cell', { name: username, exact: true }).waitFor();
  noScriptErrors(admin);

  const page = await open(browser);
  await signIn(page, username);
  await page.getByRole('heading', { level: 1, name: 'Statistik' }).waitFor();
  const menu = page.getByRole('navigation', { name: 'Huvudmeny' });
  assert.equal(await menu.getByRole('link', { name: 'Statistik' }).count(), 1);
  assert.equal(await menu.getByRole('link', { name: 'Ärenden' }).count(), 0, 'a statistics reader works no cases');

  const table = page.locator('table#forfragningar-tabell');
  await table.waitFor();
  assert.match(await table.locator('caption').innerText(), /Förfrågningar som skickades under perioden/);
  assert.ok(await table.locator('thead th[scope="col"]', { hasText: /^Besvarade$/ }).count() === 1);
  assert.ok(await table.locator('tfoot th[scope="row"]', { hasText: 'Totalt' }).count() === 1);
  for (const name of clinics) await table.locator('tbody th[scope="row"]', { hasText: name }).waitFor();
  const chart = page.getByRole('img', { name: /Antal förfrågningar per mottagning/ });
  await chart.waitFor();
  assert.equal(await chart.locator('rect').count(), 2, 'a bar per clinic whose total is shown');
  await page.locator('table#avbojda-tabell').waitFor();
  await axe(page, 'figures');

  // Keyboard: to the period picker, a month further down, then to the CSV link.
  await tabTo(page, { tag: 'SELECT', name: 'Period' }, 'the period picker');
  const before = await page.locator('#period').inputValue();
  await page.locator('#period').selectOption({ index: 7 });
  const after = await page.locator('#period').inputValue();
  assert.notEqual(after, before);
  assert.match(after, /^\d{4}-\d{2}$/, 'a month');
  await page.locator('table#forfragningar-tabell caption', { hasText: new RegExp(after.slice(0, 4)) }).waitFor();
  await tabTo(page, { tag: 'A', name: 'Ladda ned tabellen som CSV' }, 'the CSV link');
  const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
  assert.equal(download.suggestedFilename(), `forfragningar-${after}.csv`);
  const csv = await readFile(await download.path(), 'utf8');
  assert.ok(csv.startsWith('\uFEFFMottagning;Besvarade;Avböjda;Återkallade;Ej besvarade ännu;Totalt;'), csv);
  assert.match(csv, /\r\nTotalt;/);

  // Back to the current tertial, with whatever the demo data holds.
  await page.locator('#period').selectOption({ index: 0 });
  await table.locator('caption', { hasText: 'tertial' }).waitFor();
  await axe(page, 'figures for the tertial');
  await screenshot(page, '12-statistik');
  noScriptErrors(page);
});

test('a unit lead finds the figures in the menu; a caseworker does not', async () => {
  const lead = await open(browser);
  await signIn(lead, 'soc.chef');
  await lead.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link', { name: 'Statistik' }).click();
  await lead.getByRole('heading', { level: 1, name: 'Statistik' }).waitFor();
  await lead.locator('table#forfragningar-tabell').waitFor();
  noScriptErrors(lead);

  const worker = await open(browser);
  await signIn(worker, 'soc.sara');
  assert.equal(await worker.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link', { name: 'Statistik' }).count(), 0);
  noScriptErrors(worker);
});
