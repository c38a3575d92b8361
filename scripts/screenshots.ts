// `npm run screenshots`: the audit viewer's pictures in docs/images, taken the way the browser test
// sees the page — a throwaway Postgres with the real sink and known records, the real Jaeger
// binary holding a request trace, a signed checkpoint, Debian's Chromium (scripts/setup/chromium.sh).
//   docs/images/viewer-search.png   the search: filters, the timeline of decisions, the results
//   docs/images/viewer-record.png   a mutation: changes with a redacted field, chain position,
//                                   verification and checkpoint, the request trace as a waterfall
import path from 'node:path';
import { launchChromium } from '../packages/audit-sink/test/helpers/browser';
import { AUDITOR_TOKEN, startViewerScenario } from '../packages/audit-sink/test/helpers/viewer-scenario';

const IMAGES = path.resolve(__dirname, '..', 'docs', 'images');

async function main(): Promise<void> {
  const s = await startViewerScenario();
  const browser = await launchChromium({ width: 1440, height: 1050 });
  try {
    const page = await browser.context.newPage();
    await page.goto(`${s.url}/?token=${AUDITOR_TOKEN}`);
    await page.waitForSelector('[data-testid=results] tbody tr');
    await page.waitForSelector('[data-testid=timeline] canvas');
    const search = path.join(IMAGES, 'viewer-search.png');
    await page.screenshot({ path: search });
    console.log(`wrote ${search}`);

    await page.click(`tr[data-uid="${s.uids.mutation}"] a`);
    await page.waitForSelector('[data-testid=waterfall]');
    await page.waitForSelector('[data-testid=verification] li.ok >> nth=1');
    const record = path.join(IMAGES, 'viewer-record.png');
    await page.screenshot({ path: record, fullPage: true });
    console.log(`wrote ${record}`);
  } finally {
    await browser.close();
    await s.close();
  }
}

main().catch((err: unknown) => {
  console.error(`screenshots: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exit(1);
});
