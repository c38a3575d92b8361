#!/usr/bin/env node
/**
 * domain-otel-resend — sends dead-lettered audit records to the collector again.
 *
 *   domain-otel-resend [--endpoint URL] [--header key=value]... FILE...
 *
 * FILEs are the NDJSON files under DOMAIN_OTEL_AUDIT_DEADLETTER_DIR: one record per line, each
 * with a complete OTLP/JSON request, posted as is (one request per record) to the OTLP/HTTP
 * logs endpoint: --endpoint, else the OTEL_EXPORTER_OTLP_LOGS_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT
 * the app uses (with /v1/logs), with OTEL_EXPORTER_OTLP_(LOGS_)HEADERS plus any --header.
 * Files are not changed: the audit sink stores each `log.record.uid` once, so sending a file
 * twice stores nothing twice.
 *
 * Exit codes: 0 every record accepted; 1 some refused or unreachable (each printed with its uid
 * and the answer); 2 usage error or unreadable file.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load';

interface Letter { line: number; uid: string | null; request: unknown }

function usage(message: string): never {
  process.stderr.write(`domain-otel-resend: ${message}\nusage: domain-otel-resend [--endpoint URL] [--header key=value]... FILE...\n`);
  process.exit(2);
}

function readLetters(file: string): { letters: Letter[]; bad: string[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    usage(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const letters: Letter[] = [];
  const bad: string[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    try {
      const parsed = JSON.parse(raw) as { uid?: unknown; request?: unknown };
      if (typeof parsed.request !== 'object' || parsed.request === null) throw new Error('no "request" object');
      letters.push({ line: i + 1, uid: typeof parsed.uid === 'string' ? parsed.uid : null, request: parsed.request });
    } catch (err) {
      bad.push(`${file}:${i + 1}: not a dead-letter line (${err instanceof Error ? err.message : String(err)})`);
    }
  });
  return { letters, bad };
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { endpoint: { type: 'string' }, header: { type: 'string', multiple: true } } });
  } catch (err) {
    usage(err instanceof Error ? err.message : String(err));
  }
  const files = parsed.positionals;
  if (files.length === 0) usage('no file given');
  // the app's own endpoint resolution, over OTLP/HTTP with JSON bodies
  const { config, warnings } = loadConfig({ ...process.env, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'http/json' });
  for (const w of warnings.lines) process.stderr.write(`${w}\n`);
  const url = parsed.values.endpoint ?? config.otlp.logs.url;
  const headers: Record<string, string> = { ...config.otlp.logs.headers, 'content-type': 'application/json' };
  for (const h of parsed.values.header ?? []) {
    const eq = h.indexOf('=');
    if (eq <= 0) usage(`--header wants key=value, got "${h}"`);
    headers[h.slice(0, eq).trim()] = h.slice(eq + 1).trim();
  }
  let sent = 0;
  let refused = 0;
  for (const file of files) {
    const { letters, bad } = readLetters(file);
    for (const b of bad) process.stderr.write(`${b}\n`);
    refused += bad.length;
    for (const letter of letters) {
      const answer = await post(url, headers, letter.request, config.otlp.logs.timeoutMillis);
      if (answer === 'ok') {
        sent++;
      } else {
        refused++;
        process.stderr.write(`${file}:${letter.line}: uid ${letter.uid ?? '(none)'} not accepted: ${answer}\n`);
      }
    }
  }
  process.stdout.write(`domain-otel-resend: ${sent} record(s) sent, ${refused} refused or not sent (endpoint ${url})\n`);
  return refused === 0 ? 0 : 1;
}

async function post(url: string, headers: Record<string, string>, body: unknown, timeoutMillis: number): Promise<string> {
  try {
    const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMillis) });
    const text = (await res.text()).replace(/\s+/g, ' ').slice(0, 200);
    return res.ok ? 'ok' : `HTTP ${res.status}${text ? ` ${text}` : ''}`;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  process.stderr.write(`domain-otel-resend: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 2;
});
