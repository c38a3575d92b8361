/**
 * The page's static files, built by `npm run build` (ui-assets/build.mjs bundles the front end
 * and its libraries into dist/ui-assets): read once at start-up and served from memory. No CDN.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors';

export interface Asset {
  body: Buffer;
  type: string;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

/** dist/ui-assets, seen from dist/ui (the built package) or from src/ui (run through tsx). */
export function defaultAssetsDir(): string {
  const candidates = [path.join(__dirname, '..', 'ui-assets'), path.join(__dirname, '..', '..', 'dist', 'ui-assets')];
  return candidates.find((d) => existsSync(path.join(d, 'index.html'))) ?? candidates[0]!;
}

export function loadAssets(dir: string): Map<string, Asset> {
  if (!existsSync(path.join(dir, 'index.html'))) {
    throw new UsageError(`ui: the viewer's page is missing from ${dir} (run npm run build, which bundles it)`);
  }
  const out = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[path.extname(name)];
    if (type) out.set(name, { body: readFileSync(path.join(dir, name)), type });
  }
  return out;
}
