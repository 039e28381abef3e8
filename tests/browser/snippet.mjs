// Runs a README browser snippet in a real page (Debian's chromium through playwright-core).
//
// Serves an empty page on each origin of PAGE_ORIGINS (http://localhost:PORT or
// http://127.0.0.1:PORT), loads SNIPPET (a file of docs/snippets/, as printed, with the port
// 9002 replaced by USER_PORT when given), calls CALL (e.g. "whoAmI") with ARG, and prints one
// JSON line: {"ORIGIN": {"value": ...} | {"error": "..."}}. Exit 0 whenever every page ran.

import { readFileSync } from 'node:fs';
import { pagesAndBrowser } from './pages.mjs';

const { SNIPPET, CALL, ARG, USER_PORT } = process.env;
const origins = (process.env.PAGE_ORIGINS || '').split(',').filter(Boolean);
if (!SNIPPET || !CALL || origins.length === 0) {
  console.error('set SNIPPET, CALL, ARG and PAGE_ORIGINS');
  process.exit(2);
}
let code = readFileSync(SNIPPET, 'utf8');
if (USER_PORT) code = code.replaceAll('127.0.0.1:9002', `127.0.0.1:${USER_PORT}`);

const ports = origins.map((origin) => Number(new URL(origin).port));
const { browser, close } = await pagesAndBrowser(ports, 'customauth snippet');
const results = {};
try {
  for (const origin of origins) {
    const tab = await browser.newPage();
    await tab.goto(`${origin}/`, { timeout: 15000 });
    await tab.addScriptTag({ content: code });
    results[origin] = await tab.evaluate(async ({ call, arg }) => {
      try {
        return { value: await window[call](arg) };
      } catch (e) {
        return { error: String(e) };
      }
    }, { call: CALL, arg: ARG });
    await tab.close();
  }
} finally {
  await close();
}
console.log(JSON.stringify(results));
