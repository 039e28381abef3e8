// What the browser checks share: an empty page served on loopback ports (each
// its own origin) and a headless chromium (Debian's, through playwright-core)
// with a fresh profile. `close()` stops both and removes the profile.

import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export async function pagesAndBrowser(ports, title) {
  const page = `<!doctype html><meta charset="utf-8"><title>${title}</title><p>page</p>`;
  const servers = await Promise.all(ports.map((port) => new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page);
    });
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  })));
  const profile = mkdtempSync(join(tmpdir(), 'customauth-chromium-'));
  // A fresh profile (playwright passes it as --user-data-dir).
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    timeout: 30000,
  });
  const close = async () => {
    await browser.close();
    servers.forEach((s) => s.close());
    rmSync(profile, { recursive: true, force: true });
  };
  return { browser, close };
}
