// Journey 1: sign in and out, the idle warning, and the session's end with a clear message.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, signIn, axe, screenshot, noScriptErrors } from './helpers.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

test('signing in and out, with clear errors', async () => {
  const page = await open(browser);
  await page.getByRole('heading', { level: 1, name: 'Logga in' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'sv');
  await axe(page, 'sign-in page');
  await screenshot(page, '1-logga-in');

  await page.getByRole('button', { name: 'Logga in' }).click();
  const username = page.getByLabel('Användarnamn');
  assert.equal(await username.getAttribute('aria-invalid'), 'true');
  assert.match(await page.locator(`#${await username.getAttribute('aria-describedby')}`).innerText(), /Ange ditt användarnamn/);
  await axe(page, 'sign-in page with empty fields');

  await username.fill('ingen.alls');
  await page.getByLabel('Lösenord').fill('fel-lösenord');
  await page.getByRole('button', { name: 'Logga in' }).click();
  await page.getByRole('alert').getByText('Fel användarnamn eller lösenord').waitFor();
  await axe(page, 'sign-in page with wrong password');

  await signIn(page, 'soc.sara');
  await page.getByRole('heading', { level: 1, name: 'Ärenden' }).waitFor();
  const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('samverkan.session')).token);
  await page.getByRole('button', { name: 'Logga ut' }).click();
  await page.getByText('Du är utloggad.').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('samverkan.session')), null);
  // The token of the ended session no longer opens anything.
  const after = await page.request.get('/api/me', { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(after.status(), 401);
  assert.equal((await after.json()).code, 'session_ended');
  noScriptErrors(page);
  await page.context().close();
});

test('an idle session warns, can be kept, and ends with a message', async () => {
  const page = await open(browser, { clock: true });
  await signIn(page, 'soc.sara');
  await page.getByRole('heading', { level: 1, name: 'Ärenden' }).waitFor();
  // 13.5 minutes without activity: two minutes before the limit, the warning opens.
  await page.clock.fastForward('13:30');
  const dialog = page.getByRole('dialog', { name: 'Du loggas snart ut' });
  await dialog.waitFor();
  await axe(page, 'idle warning dialog');
  await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/auth/refresh') && r.ok()),
    dialog.getByRole('button', { name: 'Fortsätt vara inloggad' }).click(),
  ]);
  await dialog.waitFor({ state: 'hidden' });
  await page.getByRole('heading', { level: 1, name: 'Ärenden' }).waitFor();

  // Another 15 minutes without activity: signed out, and told why. (The server enforces the
  // same limit on its own; tests/api/auth.rs proves that.)
  await page.clock.fastForward('15:10');
  await page.getByText(/inte har varit aktiv på 15 minuter/).waitFor();
  await axe(page, 'signed out after being idle');
  noScriptErrors(page);
  await page.context().close();
});

test('after twelve hours the session ends however active, with a message', async () => {
  const page = await open(browser, { clock: true });
  await signIn(page, 'soc.admin');
  await page.getByRole('heading', { level: 1, name: /Användare/ }).waitFor();
  await page.clock.fastForward('12:00:10');
  await page.getByText(/inloggad i 12 timmar, som är den längsta tillåtna tiden/).waitFor();
  await axe(page, 'signed out after 12 hours');
  await page.context().close();
});

test('someone who keeps working stays signed in past the token lifetime', async () => {
  const page = await open(browser, { clock: true });
  let refreshes = 0;
  page.on('request', (r) => { if (r.url().endsWith('/api/auth/refresh')) refreshes += 1; });
  await signIn(page, 'soc.sara');
  for (let i = 0; i < 4; i += 1) {
    await page.clock.fastForward('05:00');
    await page.getByRole('heading', { level: 1, name: 'Ärenden' }).click();
  }
  await page.clock.fastForward('00:10');
  await page.getByRole('button', { name: 'Logga ut' }).waitFor();
  assert.ok(refreshes >= 2, `the session was refreshed while in use (${refreshes})`);
  await page.context().close();
});
