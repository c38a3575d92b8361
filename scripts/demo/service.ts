// The demo's service: examples/orders-service under `node --require @domain-otel/node/register`,
// on a database of its own in the stack's Postgres, exporting to the stack's collector.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { STACK_DIR } from '../stack';
import { ENDPOINTS } from './endpoints';

const ROOT = path.resolve(__dirname, '../..');

export interface RunningService { child: ChildProcess; port: number; logFile: string }

/** Creates the database `<service>` (dashes as underscores) and returns its URL. */
export async function createDatabase(pgPort: number, service: string): Promise<string> {
  const database = service.replace(/-/g, '_');
  const admin = new Client({ connectionString: `postgres://postgres@127.0.0.1:${pgPort}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  return `postgres://postgres@127.0.0.1:${pgPort}/${database}`;
}

/** Starts the service (its stderr in the stack's logs folder) and waits until it listens. */
export async function startService(service: string, databaseUrl: string): Promise<RunningService> {
  const logFile = path.join(STACK_DIR, 'logs', `${service}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--require', '@domain-otel/node/register', 'examples/orders-service/app.cjs'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINTS.collector, OTEL_METRIC_EXPORT_INTERVAL: '1000', OTEL_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', fd],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => { const m = /listening on (\d+)/.exec(d.toString()); if (m) resolve(Number(m[1])); });
    child.once('exit', (code) => reject(new Error(`the service exited during start-up (${code}); see ${logFile}`)));
  });
  return { child, port, logFile };
}

/** SIGTERM, on which the distribution flushes everything; resolves when it has exited. */
export async function stopService(service: RunningService): Promise<void> {
  const exited = new Promise((r) => service.child.once('exit', r));
  service.child.kill('SIGTERM');
  await exited;
}
