#!/usr/bin/env node
// Builds the viewer's page into dist/ui-assets: the front end (ui-assets/src, TypeScript + Preact)
// type-checked, then bundled with Preact and uPlot from node_modules into one app.js; uPlot's
// stylesheet and ours into app.css; index.html copied. The viewer serves these files itself —
// nothing is loaded from a CDN at run time. Run by `npm run build`.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, '..', 'dist', 'ui-assets');
const require = createRequire(import.meta.url);

execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(here, 'tsconfig.json')], { stdio: 'inherit' });

mkdirSync(out, { recursive: true });
await build({
  entryPoints: [path.join(here, 'src', 'main.tsx')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2022'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outfile: path.join(out, 'app.js'),
  legalComments: 'eof',
  logLevel: 'warning',
});
const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
writeFileSync(path.join(out, 'app.css'), `/* uPlot ${require('uplot/package.json').version} (MIT) */\n${uplotCss}\n${readFileSync(path.join(here, 'src', 'style.css'), 'utf8')}`);
copyFileSync(path.join(here, 'index.html'), path.join(out, 'index.html'));
