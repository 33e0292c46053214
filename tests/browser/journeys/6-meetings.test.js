// Journey 2's meeting, journey 3's "my meetings" and journey 4 (everyone: notifications, e-mail
// preferences, the calendar), in two browsers signed in as different organisations at once:
// the social worker (Socialtjänsten Järva) and the rehab coordinator (Rinkeby vårdcentral).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, signIn, signedIn, axe, screenshot, noScriptErrors, BASE } from './helpers.js';

let browser;
let sara;
let maria;
let caseUrl;
let meetingUrl;
let noticesBefore;

// Nine days ahead at 10:00, local (Europe/Stockholm) time: in the calendar's four weeks.
const day = new Date();
day.setDate(day.getDate() + 9);
const pad = (n) => String(n).padStart(2, '0');
const date = `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
const [year, week] = isoWeek(day);
const MARIA = 'Maria Eriksson (rehabkoordinator)';
// This run's meetings, told apart from earlier runs' against the same hub by their place.
const PLACE = `Stadsdelsförvaltningen, rum ${Date.now() % 100000}`;
const OTHER_PLACE = `${PLACE} B`;

/** Today's date in Europe/Stockholm, the browser contexts' time zone, as a local Date. */
function stockholmToday() {
  const [y, m, d] = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm' })
    .format(new Date()).split('-').map(Number);
  return new Date(y, m - 1, d);
}

/** ISO 8601 week: [year, week]. */
function isoWeek(d) {
  const t = new Date(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()));
  t.setUTCDate(t.getUTCDate() + 4 - (t.getUTCDay() || 7));
  const y = t.getUTCFullYear();
  return [y, Math.ceil(((t - Date.UTC(y, 0, 1)) / 86400000 + 1) / 7)];
}

/** Waits until the element `selector` itself shows `text` (a string is a substring). */
const shows = (page, selector, text) => page.locator(selector, { hasText: text }).first().waitFor();
const menu = (page, name) => page.getByRole('navigation', { name: 'Huvudmeny' }).getByRole('link', { name });
const badge = async (page) => Number((await page.locator('#notiser-badge').innerText()).match(/\d+/)[0]);
const meetingRow = (page, kind, place = PLACE) => page.locator('#mina-moten tbody tr', { hasText: kind })
  .filter({ has: page.locator('td', { hasText: new RegExp(`^${place}$`) }) });

before(async () => {
  browser = await launch();
  [sara, maria] = await signedIn(browser, 'soc.sara', 'vc.rinkeby');
});
after(async () => { await browser.close(); });

test('the social worker books a meeting from a case; a missing consent is shown on the participants', async () => {
  await menu(maria, 'Möten').click();
  await maria.getByRole('heading', { level: 1, name: 'Mina möten' }).waitFor();
  await maria.locator('#notiser-badge').waitFor();
  noticesBefore = await badge(maria);
  await maria.evaluate(() => { window.notReloaded = true; });

  await sara.getByRole('link', { name: 'Amina Testsson' }).click();
  await sara.getByRole('heading', { level: 1, name: 'Ärende: Amina Testsson' }).waitFor();
  caseUrl = sara.url();
  await sara.getByRole('link', { name: 'Boka möte' }).click();
  await sara.getByRole('heading', { level: 1, name: 'Boka möte' }).waitFor();
  await sara.getByRole('group', { name: /Rinkeby vårdcentral/ }).getByLabel(MARIA).waitFor();
  await axe(sara, 'booking form');

  await sara.getByLabel('Datum').fill(date);
  await sara.getByLabel('Starttid').fill('10:00');
  await sara.getByRole('button', { name: 'Boka mötet' }).click();
  await sara.getByRole('alert').getByText('Plats: Ange en plats eller en videolänk.').waitFor();
  assert.equal(await sara.getByLabel('Plats').getAttribute('aria-invalid'), 'true');
  await axe(sara, 'booking form with a missing place');

  // The consent covers the clinic for information exchange, not for SIP: the API refuses.
  await sara.getByLabel('Typ av möte').selectOption({ label: 'SIP-möte' });
  await shows(sara, '#andamal', 'SIP.');
  await sara.getByLabel('Plats').fill(PLACE);
  await sara.getByRole('group', { name: /Rinkeby vårdcentral/ }).getByLabel(MARIA).check();
  await sara.getByRole('button', { name: 'Boka mötet' }).click();
  await shows(sara, '#f-participant_user_ids-fel', /inget gällande samtycke som omfattar Rinkeby vårdcentral/);
  assert.match(await sara.getByLabel(MARIA).getAttribute('aria-describedby'), /f-participant_user_ids-fel/);
  await sara.getByRole('alert').getByRole('link', { name: /Deltagare: Det finns inget gällande samtycke/ }).waitFor();
  await axe(sara, 'booking form: consent missing');

  await sara.getByLabel('Typ av möte').selectOption({ label: 'Avstämningsmöte' });
  await sara.getByRole('button', { name: 'Boka mötet' }).click();
  await sara.getByRole('heading', { level: 1, name: 'Avstämningsmöte' }).waitFor();
  meetingUrl = sara.url();
  assert.match(meetingUrl, /#\/moten\/[0-9a-f-]{36}$/);
  await sara.locator('#mote-besked').getByText('Mötet är bokat').waitFor();
  await sara.locator('#deltagare tr', { hasText: MARIA }).getByText('Har inte svarat').waitFor();
  await shows(sara, '#mote-tid', 'kl. 10:00–11:00');
});

test('the coordinator sees the invitation live in "Mina möten" and accepts; the organiser sees it live', async () => {
  await meetingRow(maria, 'Avstämningsmöte').waitFor();
  assert.equal(await maria.evaluate(() => window.notReloaded), true, 'the invitation arrived without a reload');
  await shows(maria, '#notiser-badge', new RegExp(`^${noticesBefore + 1} olästa$`));
  await axe(maria, 'my meetings with an invitation');
  await screenshot(maria, '3-rehabkoordinator-moten');

  await sara.evaluate(() => { window.notReloaded = true; });
  await meetingRow(maria, 'Avstämningsmöte').getByRole('button', { name: /^Tacka ja till Avstämningsmöte/ }).click();
  await meetingRow(maria, 'Avstämningsmöte').getByRole('button', { name: /^Tacka ja/, pressed: true }).waitFor();
  await sara.locator('#deltagare tr', { hasText: MARIA }).getByText('Kommer', { exact: true }).waitFor();
  await shows(sara, '#svarsantal', /^2 kommer/);
  assert.equal(await sara.evaluate(() => window.notReloaded), true, 'the answer arrived without a reload');
  await axe(sara, 'meeting page, organiser');
  await screenshot(sara, '2-socialsekreterare-mote');
});

test('a double booking is a warning, not a refusal; the organiser cancels, moves and invites more', async () => {
  await sara.goto(caseUrl);
  await sara.getByRole('link', { name: 'Boka möte' }).click();
  await sara.getByLabel('Typ av möte').selectOption({ label: 'Trepartsmöte' });
  await sara.getByLabel('Datum').fill(date);
  await sara.getByLabel('Starttid').fill('10:30');
  await sara.getByLabel('Plats').fill(OTHER_PLACE);
  await sara.getByLabel('Videolänk').fill('https://video.example.se/mote/123');
  await sara.getByRole('group', { name: /Rinkeby vårdcentral/ }).getByLabel(MARIA).check();
  await sara.getByRole('button', { name: 'Boka mötet' }).click();
  await sara.getByRole('heading', { level: 1, name: 'Trepartsmöte' }).waitFor();
  // One line for her, however many meetings she has then (earlier runs against the same hub add more).
  const clash = new RegExp(`^${MARIA.replace(/[()]/g, '\\$&')} är redan bokad på (ett annat möte|\\d+ andra möten) den tiden`);
  await sara.locator('#mote-besked li', { hasText: clash }).waitFor();
  assert.equal(await sara.locator('#mote-besked li', { hasText: MARIA }).count(), 1);
  await axe(sara, 'meeting booked with a double-booking warning');
  await meetingRow(maria, 'Trepartsmöte', OTHER_PLACE).waitFor();

  await sara.getByRole('button', { name: 'Ställ in mötet' }).click();
  const cancel = sara.getByRole('dialog', { name: 'Ställ in mötet' });
  await axe(sara, 'cancel meeting dialog');
  await cancel.getByRole('button', { name: 'Ställ in mötet' }).click();
  await sara.getByRole('heading', { level: 1, name: 'Trepartsmöte (inställt)' }).waitFor();
  await meetingRow(maria, 'Trepartsmöte', OTHER_PLACE).getByText('Inställt').waitFor();

  await sara.goto(meetingUrl);
  await sara.getByRole('heading', { level: 1, name: 'Avstämningsmöte' }).waitFor();
  await sara.getByRole('button', { name: 'Flytta eller ändra plats' }).click();
  const move = sara.getByRole('dialog', { name: 'Flytta eller ändra mötet' });
  await move.getByLabel('Videolänk').fill('http://video.example.se/x');
  await move.getByRole('button', { name: 'Spara ändringen' }).click();
  await shows(sara, '#f-video_link-fel', 'https://');
  assert.equal(await move.getByLabel('Videolänk').getAttribute('aria-invalid'), 'true');
  await axe(sara, 'move dialog with an error');
  await move.getByLabel('Videolänk').fill('');
  await move.getByLabel('Starttid').fill('13:00');
  await move.getByRole('button', { name: 'Spara ändringen' }).click();
  await shows(sara, '#mote-tid', 'kl. 13:00–14:00');
  await meetingRow(maria, 'Avstämningsmöte').getByText('kl. 13:00–14:00').waitFor();

  await sara.getByRole('button', { name: 'Bjud in fler' }).click();
  const invite = sara.getByRole('dialog', { name: 'Bjud in fler' });
  await invite.getByRole('button', { name: 'Bjud in' }).click();
  await shows(sara, '#f-participant_user_ids-fel', 'Välj minst en person');
  await axe(sara, 'invite dialog with an error');
  assert.equal(await invite.getByLabel(MARIA).count(), 0, 'those already invited are not offered again');
  await invite.getByLabel('Reza Ahmadi (rehabansvarig)').check();
  await invite.getByRole('button', { name: 'Bjud in' }).click();
  await sara.locator('#deltagare tr', { hasText: 'Reza Ahmadi' }).getByText('Har inte svarat').waitFor();
  await sara.locator('#mote-besked').getByText('Inbjudningarna är skickade.').waitFor();
});

test('the notifications badge rises live and falls when read; e-mail links lead to what they concern', async () => {
  await menu(maria, /^Notiser/).click();
  await maria.getByRole('heading', { level: 1, name: 'Notiser' }).waitFor();
  await maria.locator('#notiser li', { hasText: 'Du är inbjuden till ett möte' }).first().waitFor();
  // The badge and the page agree once every notification of the changes above has arrived.
  const token = await maria.evaluate(() => JSON.parse(sessionStorage.getItem('samverkan.session')).token);
  const unread = async () => (await (await maria.request.get('/api/notifications?unread=true&limit=200', { headers: { Authorization: `Bearer ${token}` } })).json());
  const first = await unread();
  assert.ok(first.unread_count >= noticesBefore + 4, 'invited twice, the cancellation and the move');
  await shows(maria, '#notiser-badge', new RegExp(`^${first.unread_count} olästa$`));
  await shows(maria, '#antal-olasta-notiser', new RegExp(`^${first.unread_count}$`));
  await axe(maria, 'notifications');
  await screenshot(maria, '4-alla-notiser');

  const changed = first.items.find((n) => n.kind === 'meeting_changed');
  assert.ok(changed, 'an unread notice of the move');
  const invitation = maria.locator('#notiser li.unread', { hasText: 'Du är inbjuden till ett möte' }).first();
  await invitation.getByRole('button', { name: /^Markera som läst/ }).click();
  await shows(maria, '#notiser-badge', new RegExp(`^${first.unread_count - 1} olästa$`));

  // The e-mail's link to one notification: marked read, and on to the meeting it is about.
  await maria.goto(`${BASE}/notiser/${changed.id}`);
  await maria.getByRole('heading', { level: 1, name: 'Avstämningsmöte' }).waitFor();
  assert.ok(maria.url().endsWith(`#/moten/${changed.subject_id}`), maria.url());
  await shows(maria, '#notiser-badge', new RegExp(`^${first.unread_count - 2} olästa$`));
  await shows(maria, '#mitt-svar', 'Kommer');
  await axe(maria, 'meeting page, participant');
  // The meeting's own link in the calendar invitation.
  await maria.goto(`${BASE}/moten/${changed.subject_id}`);
  await maria.getByRole('heading', { level: 1, name: 'Avstämningsmöte' }).waitFor();
  await maria.goto(`${BASE}/notiser`);
  await maria.getByRole('heading', { level: 1, name: 'Notiser' }).waitFor();
  // Opened while signed out, the link leads to the sign-in page and then to the meeting.
  const fresh = await open(browser);
  await fresh.goto(`${BASE}/moten/${changed.subject_id}`);
  await fresh.getByRole('heading', { level: 1, name: 'Logga in' }).waitFor();
  await signIn(fresh, 'vc.rinkeby');
  await fresh.getByRole('heading', { level: 1, name: 'Avstämningsmöte' }).waitFor();
  await fresh.context().close();

  await maria.getByRole('button', { name: 'Markera alla som lästa' }).click();
  await shows(maria, '#notiser-badge', /^0 olästa$/);
  await maria.getByRole('button', { name: 'Olästa', exact: true }).click();
  await maria.getByText('Du har inga olästa notiser.').waitFor();
  await axe(maria, 'notifications, none unread');
});

test('e-mail preferences per kind are saved and shown again after a reload', async () => {
  await menu(maria, 'Inställningar').click();
  await maria.getByRole('heading', { level: 1, name: 'Inställningar för e-post' }).waitFor();
  await axe(maria, 'e-mail preferences');
  const messages = maria.getByRole('group', { name: 'Nya meddelanden i ärenden' });
  const invitations = maria.getByRole('group', { name: 'Mötesinbjudningar' });
  // Choices other than the current ones (the defaults on a fresh hub: digest and immediate).
  const messageChoice = (await messages.getByLabel('Inget e-brev').isChecked()) ? 'Direkt, ett e-brev per notis' : 'Inget e-brev';
  const invitationChoice = (await invitations.getByLabel('I en daglig sammanfattning').isChecked()) ? 'Direkt, ett e-brev per notis' : 'I en daglig sammanfattning';
  await messages.getByLabel(messageChoice).check();
  await invitations.getByLabel(invitationChoice).check();
  await maria.getByRole('button', { name: 'Spara inställningarna' }).click();
  await shows(maria, '[role=status]', 'Inställningarna är sparade.');
  await screenshot(maria, '4-alla-installningar');

  await maria.reload();
  await maria.getByRole('heading', { level: 1, name: 'Inställningar för e-post' }).waitFor();
  await messages.getByLabel(messageChoice).waitFor();
  assert.equal(await messages.getByLabel(messageChoice).isChecked(), true);
  assert.equal(await invitations.getByLabel(invitationChoice).isChecked(), true);
  assert.equal(await maria.getByRole('group', { name: 'Inställda möten' }).getByLabel('Direkt, ett e-brev per notis').isChecked(), true);
  noScriptErrors(maria);
});

test('the calendar shows the meeting in its week and moves a week at a time by keyboard', async () => {
  await menu(sara, 'Kalender').click();
  await sara.getByRole('heading', { level: 1, name: 'Kalender' }).waitFor();
  const weekSection = sara.locator(`#vecka-${year}-${week}`);
  const item = weekSection.locator('.calendar-item', { hasText: new RegExp(`${PLACE}\\.`) });
  await item.getByRole('link', { name: 'Avstämningsmöte' }).waitFor();
  assert.match(await item.innerText(), /13:00–14:00/);
  assert.equal(await sara.locator('.week').count(), 4);
  assert.equal(await sara.locator('.calendar-item', { hasText: OTHER_PLACE }).count(), 0, 'cancelled meetings are not shown');
  await axe(sara, 'calendar');
  await screenshot(sara, '4-alla-kalender');

  // This week as the browser counts it: in Stockholm, where Sunday evening UTC is already
  // Monday, not in the test runner's time zone.
  const [thisYear, thisWeek] = isoWeek(stockholmToday());
  await sara.locator(`#vecka-${thisYear}-${thisWeek}`).waitFor();
  await sara.getByRole('button', { name: 'Nästa vecka' }).focus();
  await sara.keyboard.press('Enter');
  await sara.locator(`#vecka-${thisYear}-${thisWeek}`).waitFor({ state: 'detached' });
  assert.equal(await sara.evaluate(() => document.activeElement.textContent), 'Nästa vecka', 'focus stays on the button');
  await sara.keyboard.press('Shift+Tab');
  assert.equal(await sara.evaluate(() => document.activeElement.textContent), 'Den här veckan');
  await sara.keyboard.press('Space');
  await sara.locator(`#vecka-${thisYear}-${thisWeek}`).waitFor();
  await item.getByRole('link', { name: 'Avstämningsmöte' }).click();
  await sara.getByRole('heading', { level: 1, name: 'Avstämningsmöte' }).waitFor();
  noScriptErrors(sara);
});

test('someone with no meetings or notifications sees clear empty states; unknown ids are clear errors', async () => {
  const page = await open(browser);
  await signIn(page, 'vc.husby');
  await menu(page, 'Möten').click();
  await page.getByText('Du har inga kommande möten.').waitFor();
  await axe(page, 'my meetings, empty');
  await menu(page, 'Kalender').click();
  await page.getByText('Inga möten den här veckan.').first().waitFor();
  assert.equal(await page.getByText('Inga möten den här veckan.').count(), 4);
  await axe(page, 'calendar, empty');
  await menu(page, /^Notiser/).click();
  await page.getByText('Du har inga notiser.').waitFor();
  await shows(page, '#notiser-badge', /^0 olästa$/);
  await axe(page, 'notifications, empty');
  const base = page.url().split('#')[0];
  await page.goto(`${base}#/moten/01900000-0000-7000-8000-000000000000`);
  await page.getByRole('alert').getByText(/inte behörighet/).waitFor();
  await axe(page, 'meeting not found');
  await page.goto(`${base}#/notiser/01900000-0000-7000-8000-000000000000`);
  await page.getByRole('alert').getByText(/inte behörighet/).waitFor();
  await axe(page, 'notification not found');
  noScriptErrors(page);
  await page.context().close();
});
