// A staff member's browser journey into a legacy system with its own login form, in headless
// Chromium (Debian's, never a downloaded one): gateway login, one-time enrolment of the
// system's password, automatic form login, the system's own logout and opening it again.
// Driven by tests/tests/it/legacy_sso.rs; prints one JSON object with what it saw.
//
// Environment: BASE (https://localhost:PORT), USER, PASSWORD (gateway login),
// LEGACY_PASSWORD (the system's own), PREFIX (the route's path, e.g. /shomu).

import { chromium } from 'playwright-core';

const { BASE, USER, PASSWORD, LEGACY_PASSWORD, PREFIX } = process.env;
const seen = {};
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  // The test's certificate is self-signed for this run.
  const context = await browser.newContext({ ignoreHTTPSErrors: true, locale: 'ja-JP' });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);

  await page.goto(`${BASE}${PREFIX}/menu`);
  seen.first = new URL(page.url()).pathname;
  await page.fill('input[name="user"]', USER);
  await page.fill('input[name="password"]', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);

  // No stored password yet: the gateway asks for the system's own, once.
  seen.enrol = new URL(page.url()).pathname;
  seen.enrolHeading = await page.textContent('h1');
  await page.fill('input[name="password"]', LEGACY_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
  await page.waitForSelector('text=ようこそ');
  seen.afterEnrol = new URL(page.url()).pathname;
  seen.welcome = await page.textContent('body');

  // The system's own logout leads to a gateway page, and "open again" logs in by itself.
  await page.goto(`${BASE}${PREFIX}/logout`);
  seen.afterLogout = new URL(page.url()).pathname;
  seen.logoutPage = await page.textContent('main');
  await page.click('text=もう一度開く');
  await page.waitForSelector('text=ようこそ');
  seen.reopened = new URL(page.url()).pathname;
  seen.reopenedBody = await page.textContent('body');

  // A page that shows the login form in place (the system lost its session) is recognised
  // and replaced by an automatic login.
  seen.cookiesBefore = (await context.cookies()).map((c) => `${c.name}@${c.path}`).sort();
  await context.clearCookies({ name: 'LEGACYSESSID' });
  const replayed = page.waitForResponse((r) => r.url().includes('/.yakuba/sso/'));
  await page.goto(`${BASE}${PREFIX}/embedded-login`);
  seen.embeddedReplay = new URL((await replayed).url()).pathname;
  await page.waitForSelector('text=ようこそ');
  seen.embeddedPath = new URL(page.url()).pathname;
  seen.embedded = await page.textContent('body');
  console.log(JSON.stringify({ ok: true, seen }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e), seen }));
  process.exitCode = 1;
} finally {
  await browser.close();
}
