// A web page calls createTicket from another origin, in a real headless
// browser (Debian's chromium through playwright-core).
//
// Serves the same small page on each loopback port of PAGE_PORTS (so each is
// its own origin), opens it in chromium, and has the page POST to
// CREATE_TICKET_URL with `X-Api-Key: API_KEY` and a JSON body: a
// non-simple request, so the browser sends a CORS preflight first. Prints one
// JSON line: {"http://127.0.0.1:PORT": {"ticket": "..."} | {"error": "..."}}.
// Exit code 0 whenever every page ran; the Rust test judges the results.

import { pagesAndBrowser } from './pages.mjs';

const target = process.env.CREATE_TICKET_URL;
const apiKey = process.env.API_KEY;
const ports = (process.env.PAGE_PORTS || '').split(',').filter(Boolean).map(Number);
if (!target || !apiKey || ports.length === 0) {
  console.error('set CREATE_TICKET_URL, API_KEY and PAGE_PORTS');
  process.exit(2);
}

const { browser, close } = await pagesAndBrowser(ports, 'customauth CORS');
const results = {};
try {
  for (const port of ports) {
    const origin = `http://127.0.0.1:${port}`;
    const tab = await browser.newPage();
    await tab.goto(`${origin}/`, { timeout: 15000 });
    results[origin] = await tab.evaluate(async ({ target, apiKey }) => {
      try {
        const res = await fetch(target, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
          body: JSON.stringify({ customUserId: 'browser_user_1' }),
        });
        const body = await res.json();
        return { status: res.status, ticket: body.ticket };
      } catch (e) {
        return { error: String(e) };
      }
    }, { target, apiKey });
    await tab.close();
  }
} finally {
  await close();
}
console.log(JSON.stringify(results));
