// The inquiry journey with the keyboard only: no clicks, no fills, just Tab, typing, Space and
// Enter, in two browsers at once (the social worker and the clinic's rehab coordinator).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, tabTo, axe, PASSWORD, noScriptErrors } from './helpers.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

const label = (name) => ({ name });
const control = (tag, name) => ({ tag, name });

async function signInWithKeys(page, username) {
  await tabTo(page, label('Användarnamn'), 'the username field');
  await page.keyboard.type(username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Logga ut' }).waitFor();
}

/** The focus ring is visible (an outline), not only the browser's default. */
async function assertVisibleFocus(page) {
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'the focused element shows a focus ring');
}

async function headingHasFocus(page, name) {
  await page.waitForFunction((n) => document.activeElement && document.activeElement.tagName === 'H1'
    && document.activeElement.textContent.includes(n), name);
}

test('a rehab inquiry sent, opened, assigned, answered and followed up with the keyboard only', async () => {
  const sara = await open(browser);
  const maria = await open(browser);
  await signInWithKeys(sara, 'soc.sara');
  await signInWithKeys(maria, 'vc.rinkeby');

  // The social worker: from the case list to a sent inquiry.
  await tabTo(sara, control('A', 'Amina Testsson'), 'the case of Amina Testsson');
  await assertVisibleFocus(sara);
  await sara.keyboard.press('Enter');
  await headingHasFocus(sara, 'Ärende: Amina Testsson');
  await tabTo(sara, control('A', 'Skriv rehabiliteringsförfrågan'), 'the new inquiry link');
  await sara.keyboard.press('Enter');
  await headingHasFocus(sara, 'Skriv rehabiliteringsförfrågan');
  await tabTo(sara, control('SELECT', 'Mottagare'), 'the recipient');
  await sara.keyboard.type('Rinkeby');
  await tabTo(sara, control('TEXTAREA', 'Frågor till mottagningen'), 'the questions');
  await sara.keyboard.type('Vilka aktiviteter klarar hon i dag?');
  await tabTo(sara, control('INPUT', 'Telefon'), 'the phone field');
  await sara.keyboard.type('08-111 222');
  await tabTo(sara, control('BUTTON', 'Skicka förfrågan'), 'the send button');
  await assertVisibleFocus(sara);
  await sara.keyboard.press('Enter');
  await headingHasFocus(sara, 'Rehabiliteringsförfrågan');
  await sara.locator('#forfragan-status').getByText('Skickad').waitFor();

  // The coordinator: from the inbox, open, assign to me, answer.
  await maria.locator('#inkorg tbody tr', { hasText: 'Amina Testsson' }).first().waitFor();
  await tabTo(maria, control('A', 'Amina Testsson'), 'the new inquiry in the inbox');
  await maria.keyboard.press('Enter');
  await headingHasFocus(maria, 'Rehabiliteringsförfrågan');
  await sara.locator('#forfragan-status').getByText('Öppnad av mottagaren').waitFor();
  await tabTo(maria, control('BUTTON', 'Tilldela mig'), 'assign to me');
  await maria.keyboard.press('Enter');
  await sara.locator('#forfragan-status').getByText('Tilldelad').waitFor();
  await tabTo(maria, control('INPUT', 'Ja'), 'the rehab plan choice');
  await maria.keyboard.press('Space');
  await tabTo(maria, control('INPUT', 'Procent av heltid'), 'the extent in percent');
  await maria.keyboard.type('50');
  await tabTo(maria, control('INPUT', 'Timmar per vecka'), 'the extent in hours');
  await maria.keyboard.type('20');
  await tabTo(maria, control('BUTTON', 'Skicka svar'), 'the answer button');
  await maria.keyboard.press('Enter');
  // Both measures given: the API's error is shown and the summary takes focus; its link leads to the field group.
  await maria.waitForFunction(() => document.activeElement && document.activeElement.classList.contains('error-summary'));
  await maria.keyboard.press('Tab');
  await maria.keyboard.press('Enter');
  assert.equal(await maria.evaluate(() => document.activeElement.id), 'f-extent');
  await tabTo(maria, control('INPUT', 'Timmar per vecka'), 'the extent in hours');
  await maria.keyboard.press('Backspace');
  await maria.keyboard.press('Backspace');
  await tabTo(maria, control('BUTTON', 'Skicka svar'), 'the answer button');
  await maria.keyboard.press('Enter');
  await maria.locator('#forfragan-status').getByText('Besvarad').waitFor();

  // The social worker reads the answer (it arrived live) and asks a follow-up question.
  await sara.locator('#svaret').getByText('50 % av heltid').waitFor();
  await tabTo(sara, control('TEXTAREA', 'Ställ en följdfråga'), 'the follow-up field');
  await sara.keyboard.type('Kan hon börja på Jobbtorg nästa vecka?');
  await tabTo(sara, control('BUTTON', 'Skicka'), 'the send button');
  await sara.keyboard.press('Enter');
  await maria.locator('#traden').getByText('Kan hon börja på Jobbtorg nästa vecka?').waitFor();
  await tabTo(maria, control('TEXTAREA', 'Svara på följdfrågan'), 'the reply field');
  await maria.keyboard.type('Ja.');
  await tabTo(maria, control('BUTTON', 'Skicka'), 'the send button');
  await maria.keyboard.press('Enter');
  await sara.locator('#traden').getByText('Ja.').waitFor();

  // Signing out by keyboard too.
  await tabTo(sara, control('BUTTON', 'Logga ut'), 'sign out', { back: true });
  await sara.keyboard.press('Enter');
  await sara.getByText('Du är utloggad.').waitFor();
  await axe(sara, 'signed out');
  noScriptErrors(sara);
  noScriptErrors(maria);
});
