// A clerk's groupware journey in headless Chromium (Debian's, never a downloaded one), through
// the gateway: log in, create an event with a colleague and a conference room, see it on the
// department's day grid and on the facility grid, then try to book the same room at the same
// time from the facility grid and read the refusal. Driven by
// tests/tests/it/browser_groupware.rs; prints one JSON object with what it saw.
//
// Environment: BASE (https://localhost:PORT), USER, PASSWORD (gateway login), DATE (the day
// to use, YYYY-MM-DD), ROOM (the room's name), TITLE (the event's title); SHOTS, if set, a
// directory for full-page screenshots of each step (for looking at the pages by eye).

import { chromium } from 'playwright-core';

const { BASE, USER, PASSWORD, DATE, ROOM, TITLE, SHOTS } = process.env;
const seen = {};
const shot = async (page, name) => {
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
};
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  // The test's certificate is self-signed for this run.
  const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'ja-JP' });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);

  // Straight to the event form: the gateway asks for the login first.
  await page.goto(`${BASE}/schedule/events/new`);
  seen.login = new URL(page.url()).pathname;
  await page.fill('input[name="user"]', USER);
  await page.fill('input[name="password"]', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
  seen.form = new URL(page.url()).pathname;

  // The event: a colleague from the clerk's own department and a room of the first category.
  await page.fill('input[name="title"]', TITLE);
  await page.fill('input[name="start_date"]', DATE);
  await page.fill('input[name="start_time"]', '12:00');
  await page.fill('input[name="end_date"]', DATE);
  await page.fill('input[name="end_time"]', '13:00');
  const colleague = page.locator('ul.people.offered input[name="participants"]').first();
  seen.colleague = (await colleague.locator('xpath=..').innerText()).trim();
  await colleague.check();
  await page.locator('fieldset.rooms label', { hasText: ROOM }).locator('input').check();
  await Promise.all([page.waitForNavigation(), page.click('button[value="save"]')]);
  seen.afterSave = new URL(page.url()).pathname;
  seen.eventPage = await page.textContent('main');
  await shot(page, 'event');

  // The department's day grid shows it in both people's rows.
  await page.goto(`${BASE}/schedule/group?view=day&date=${DATE}`);
  seen.group = await page.textContent('main');
  await shot(page, 'group');

  // The facility grid shows the room taken from 12:00 to 13:00.
  await page.goto(`${BASE}/facilities?date=${DATE}`);
  const row = page.locator('table.fgrid tbody tr', { hasText: ROOM }).first();
  seen.gridRow = await row.innerText();
  await shot(page, 'facility-grid');

  // A free half hour of the same room opens the booking form; asking for 12:30-13:30 there
  // is refused with the booking in the way.
  await Promise.all([page.waitForNavigation(), row.locator('td.free a').first().click()]);
  seen.reserveForm = new URL(page.url()).pathname;
  await page.fill('input[name="start"]', '12:30');
  await page.fill('input[name="end"]', '13:30');
  await page.fill('input[name="title"]', '別の打合せ');
  await Promise.all([page.waitForNavigation(), page.click('button.primary')]);
  seen.refusal = await page.textContent('.problems');
  await shot(page, 'refusal');
  seen.refusalUrl = new URL(page.url()).pathname;

  // 12:30 is still free on the grid afterwards: nothing was booked.
  await page.goto(`${BASE}/facilities?date=${DATE}`);
  seen.gridRowAfter = await page
    .locator('table.fgrid tbody tr', { hasText: ROOM })
    .first()
    .innerText();
  if (SHOTS) {
    for (const [name, path] of [
      ['portal', '/'],
      ['whereabouts', '/whereabouts'],
      ['memos', '/memos'],
      ['approvals', '/facilities/approvals'],
    ]) {
      await page.goto(`${BASE}${path}`);
      await shot(page, name);
    }
  }
  console.log(JSON.stringify({ ok: true, seen }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e), seen }));
  process.exitCode = 1;
} finally {
  await browser.close();
}
