/**
 * Debian's Chromium (scripts/setup/chromium.sh installs it at /usr/bin/chromium), driven by
 * playwright-core: headless, a fresh profile per launch, no network beyond what the page asks for.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  downloads: string;
  close(): Promise<void>;
}

export async function launchChromium(viewport = { width: 1440, height: 1000 }): Promise<Browser> {
  const profile = mkdtempSync(path.join(tmpdir(), 'domain-otel-chromium-'));
  const downloads = path.join(profile, 'downloads');
  // launchPersistentContext passes the profile as --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport,
    acceptDownloads: true,
    downloadsPath: downloads,
    timezoneId: 'UTC',
    locale: 'en-GB',
  });
  return {
    context,
    downloads,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
