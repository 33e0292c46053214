// Journey 5: the organisation admin: users, audit search, an individual's access extract, printable.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, signIn, axe, screenshot, noScriptErrors } from './helpers.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

test('the admin lists users, searches the audit log and prints an access extract', async () => {
  const page = await open(browser);
  await signIn(page, 'soc.admin');
  await page.getByRole('heading', { level: 1, name: /Användare i Socialtjänsten Järva/ }).waitFor();
  await page.getByRole('cell', { name: 'soc.sara', exact: true }).waitFor();
  await axe(page, 'users');
  await screenshot(page, '5-admin-anvandare');

  await page.getByRole('link', { name: 'Åtkomstlogg' }).click();
  await page.getByRole('heading', { level: 1, name: 'Åtkomstlogg' }).waitFor();
  await page.locator('table.audit tbody tr').first().waitFor();
  await axe(page, 'audit log');

  await page.getByLabel('Ärende-id').fill('inte-ett-id');
  await page.getByRole('button', { name: 'Sök' }).click();
  await page.getByRole('alert').getByText('Ärende-id: Ange ärendets id').waitFor();
  assert.equal(await page.getByLabel('Ärende-id').getAttribute('aria-invalid'), 'true');
  await axe(page, 'audit search with an error');

  await page.getByLabel('Ärende-id').fill('');
  await page.getByLabel('Från och med').fill('2099-01-01');
  await page.getByRole('button', { name: 'Sök' }).click();
  await page.getByText('Inga loggposter matchar sökningen.').waitFor();
  await axe(page, 'audit search without hits');

  await page.getByLabel('Från och med').fill('');
  await page.getByLabel('Händelse').selectOption({ label: 'Demodata skapades' });
  await page.getByRole('button', { name: 'Sök' }).click();
  await page.locator('table.audit tbody tr', { hasText: 'Demodata skapades' }).first().waitFor();
  await screenshot(page, '5-admin-logg');

  await page.getByRole('link', { name: /Loggutdrag/ }).first().click();
  await page.getByRole('heading', { level: 1, name: 'Loggutdrag' }).waitFor();
  await page.locator('table.audit tbody tr').first().waitFor();
  await axe(page, 'access extract');
  await screenshot(page, '5-admin-loggutdrag');
  // Printable: the print style hides the navigation and the buttons, the table stays.
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.getByRole('navigation', { name: 'Huvudmeny' }).isVisible(), false);
  assert.equal(await page.getByRole('button', { name: 'Skriv ut loggutdraget' }).isVisible(), false);
  assert.equal(await page.locator('table.audit').isVisible(), true);
  await page.pdf({ path: new URL('../screenshots/5-admin-loggutdrag.pdf', import.meta.url).pathname });
  noScriptErrors(page);
});
