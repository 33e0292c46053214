// Shared by the journeys: the browser, sign-in, axe checks, screenshots, keyboard moves.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

export const BASE = process.env.SAMVERKAN_URL || 'http://127.0.0.1:8080';
export const PASSWORD = 'samverkan-demo';
const SHOTS = new URL('../screenshots/', import.meta.url);
mkdirSync(SHOTS, { recursive: true });

/** Debian's headless Chromium; never a downloaded browser. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.SAMVERKAN_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

/** A fresh browser context (its own session storage) on the start page. */
export async function open(browser, { clock = false } = {}) {
  const context = await browser.newContext({ baseURL: BASE, locale: 'sv-SE', timezoneId: 'Europe/Stockholm', viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  if (clock) await page.clock.install();
  page.setDefaultTimeout(10000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !/401|404|409|422/.test(m.text())) errors.push(m.text()); });
  page.jsErrors = errors;
  await page.goto(BASE);
  return page;
}

export async function signIn(page, username) {
  await page.getByLabel('Användarnamn').fill(username);
  await page.getByLabel('Lösenord').fill(PASSWORD);
  await page.getByRole('button', { name: 'Logga in' }).click();
  await page.getByRole('button', { name: 'Logga ut' }).waitFor();
}

/** Two pages of one browser, each signed in as one of `usernames` (two organisations). */
export async function signedIn(browser, ...usernames) {
  const pages = await Promise.all(usernames.map(() => open(browser)));
  for (const [i, page] of pages.entries()) await signIn(page, usernames[i]);
  return pages;
}

/** Zero violations of WCAG 2.0/2.1 A and AA in the page as it is now. */
export async function axe(page, state) {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('\n    ')}`);
  assert.deepEqual(found, [], `axe found WCAG violations in "${state}":\n  ${found.join('\n  ')}`);
}

export async function screenshot(page, name) {
  await page.screenshot({ path: new URL(`${name}.png`, SHOTS).pathname, fullPage: true });
}

/** A valid, random personnummer (Luhn check digit), so each run registers new people. */
export function randomPersonnummer() {
  const year = 1960 + Math.floor(Math.random() * 40);
  const month = 1 + Math.floor(Math.random() * 12);
  const day = 1 + Math.floor(Math.random() * 28);
  const serial = String(Math.floor(Math.random() * 1000)).padStart(3, '0');
  const first = `${String(year).slice(2)}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}${serial}`;
  let sum = 0;
  for (let i = 0; i < 9; i += 1) {
    let n = Number(first[i]) * (i % 2 === 0 ? 2 : 1);
    if (n > 9) n -= 9;
    sum += n;
  }
  return `${String(year).slice(0, 2)}${first.slice(0, 6)}-${first.slice(6)}${(10 - (sum % 10)) % 10}`;
}

/**
 * Presses Tab (or Shift+Tab) until the focused element is a `tag` (if given) whose label,
 * text or value contains `name`; fails if it never gets there.
 */
export async function tabTo(page, { tag, name }, description, { back = false, max = 80 } = {}) {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const hit = await page.evaluate(([t, n]) => {
      const el = document.activeElement;
      if (!el || (t && el.tagName !== t)) return false;
      const text = `${el.getAttribute('aria-label') || ''} ${el.labels && el.labels[0] ? el.labels[0].textContent : ''} ${el.textContent || ''}`;
      return text.includes(n);
    }, [tag, name]);
    if (hit) return;
  }
  assert.fail(`Tab never reached ${description}`);
}

/** Calls the API as the page's signed-in user (for arranging data, not the thing tested). */
export async function call(page, method, path, body) {
  return page.evaluate(async ([m, p, b]) => {
    const { token } = JSON.parse(sessionStorage.getItem('samverkan.session'));
    const headers = { Authorization: `Bearer ${token}` };
    if (b) headers['Content-Type'] = 'application/json';
    const res = await fetch(p, { method: m, headers, body: b ? JSON.stringify(b) : undefined });
    const text = await res.text();
    if (!res.ok) throw new Error(`${m} ${p}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }, [method, path, body]);
}

export function noScriptErrors(page) {
  assert.deepEqual(page.jsErrors, [], 'the page logged script errors');
}
