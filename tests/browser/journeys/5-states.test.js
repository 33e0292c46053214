// Empty and error states, and a dropped live connection that resumes with `since`.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, signIn, axe, noScriptErrors } from './helpers.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

test('a clinic with nothing yet sees clear empty states, and an unknown case is a clear error', async () => {
  const page = await open(browser);
  await signIn(page, 'vc.tensta');
  await page.getByRole('heading', { level: 1, name: /Inkorg/ }).waitFor();
  await page.getByText('Inga förfrågningar att visa.').waitFor();
  await axe(page, 'empty inbox');
  await page.getByRole('button', { name: 'Försenade' }).click();
  assert.equal(await page.getByRole('button', { name: 'Försenade' }).getAttribute('aria-pressed'), 'true');
  await page.getByText('Inga förfrågningar att visa.').waitFor();
  await page.getByRole('link', { name: 'Ärenden' }).click();
  await page.getByText('Du har inga öppna ärenden att visa.').waitFor();
  await axe(page, 'empty case list');
  await page.goto(`${page.url().split('#')[0]}#/arenden/01900000-0000-7000-8000-000000000000`);
  await page.getByRole('alert').getByText(/inte behörighet/).waitFor();
  await axe(page, 'case not found');
  noScriptErrors(page);
  await page.context().close();
});

test('sending an inquiry without a consent that covers the clinic says so and keeps the draft', async () => {
  const page = await open(browser);
  await signIn(page, 'soc.sara');
  await page.getByRole('link', { name: 'Carin Exempeldotter' }).click();
  await page.getByRole('link', { name: 'Skriv rehabiliteringsförfrågan' }).click();
  await page.getByRole('button', { name: 'Skicka förfrågan' }).click();
  await page.getByRole('alert').getByText('Mottagare: Välj vilken mottagning').waitFor();
  await axe(page, 'inquiry form with errors');
  await page.getByLabel('Mottagare').selectOption({ label: 'Tensta vårdcentral' });
  await page.getByLabel('Frågor till mottagningen').fill('Hur mår hon?');
  await page.getByLabel('Telefon').fill('08-123 45 67');
  await page.getByRole('button', { name: 'Skicka förfrågan' }).click();
  await page.getByRole('alert').getByText(/sparad som utkast men kunde inte skickas/).waitFor();
  await axe(page, 'inquiry not sent: consent missing');
  await page.getByRole('link', { name: 'Öppna det sparade utkastet' }).click();
  await page.locator('#forfragan-status').getByText('Utkast').waitFor();
  noScriptErrors(page);
  await page.context().close();
});

test('a dropped live connection resumes with since and misses nothing', async () => {
  const maria = await open(browser);
  const sara = await open(browser);
  const offline = `Skrivet medan vårdcentralen var frånkopplad (${Date.now()}).`;
  const urls = [];
  const routes = [];
  let letThrough;
  const gate = new Promise((resolve) => { letThrough = resolve; });
  await maria.routeWebSocket(/\/api\/stream/, async (ws) => {
    urls.push(ws.url());
    routes.push(ws);
    if (urls.length === 2) await gate;
    ws.connectToServer();
  });
  await signIn(maria, 'vc.rinkeby');
  await signIn(sara, 'soc.sara');
  for (const page of [maria, sara]) {
    await page.getByRole('link', { name: 'Ärenden' }).click();
    await page.getByRole('link', { name: 'Amina Testsson' }).click();
    await page.getByRole('heading', { level: 1, name: 'Ärende: Amina Testsson' }).waitFor();
  }
  await maria.waitForFunction(() => sessionStorage.getItem('samverkan.seq') !== null);

  await routes[0].close();
  await maria.getByRole('status').getByText('Återansluter').waitFor();
  await axe(maria, 'live connection lost');
  await sara.getByLabel('Nytt meddelande').fill(offline);
  await sara.getByRole('button', { name: 'Skicka meddelande' }).click();
  await sara.locator('#meddelanden').getByText(offline).waitFor();
  assert.equal(await maria.locator('#meddelanden').getByText(offline).count(), 0);

  letThrough();
  await maria.locator('#meddelanden').getByText(offline).waitFor();
  assert.match(urls[1], /[?&]since=\d+/, 'the second connection resumes where the first stopped');
  await maria.getByText('Återansluter').waitFor({ state: 'detached' });
  noScriptErrors(sara);
  await maria.context().close();
  await sara.context().close();
});
