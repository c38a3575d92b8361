/**
 * `serve --checkpoint-every 60s`: a checkpoint every interval, written only when rows were added
 * or segments changed; failures are logged and retried at the next interval, never fatal.
 * These runs are not access records (the sink would log itself every minute); the checkpoint
 * files are their record.
 */
import type { Pool } from 'pg';
import { parseDuration } from '../args';
import { CheckpointRefused, writeCheckpoint } from '../checkpoint';
import { errorLine } from '../errors';
import type { SignerKey } from '../signed-note';
import { PROG, type Opts } from './common';
import { checkpointDir, signerKeyFrom } from './keys';

export const SERVE_CHECKPOINT_OPTIONS: Opts = {
  'checkpoint-every': { type: 'string' },
  'checkpoint-dir': { type: 'string' },
  'checkpoint-key': { type: 'string' },
  'checkpoint-publish-command': { type: 'string' },
};

export interface CheckpointSchedule {
  /** Waits for a checkpoint in progress, writes a last one, stops. */
  stop(): Promise<void>;
  /** Seconds since the last run that succeeded (wrote a checkpoint or found nothing new), or since the start. */
  age(): number;
}

export interface CheckpointScheduleConfig {
  every: string;
  intervalMs: number;
  dir: string;
  key: SignerKey;
  publishCommand?: string;
}

/** serve's checkpoint options, validated before the sink starts listening (undefined: no schedule). */
export function checkpointScheduleConfig(v: Record<string, unknown>, env: NodeJS.ProcessEnv): CheckpointScheduleConfig | undefined {
  const every = (v['checkpoint-every'] as string | undefined) ?? env['DOMAIN_OTEL_AUDIT_CHECKPOINT_EVERY'];
  if (every === undefined || every === '') return undefined;
  const flag = v['checkpoint-every'] !== undefined ? '--checkpoint-every' : 'DOMAIN_OTEL_AUDIT_CHECKPOINT_EVERY';
  const publishCommand = (v['checkpoint-publish-command'] as string | undefined) ?? env['DOMAIN_OTEL_AUDIT_CHECKPOINT_PUBLISH_COMMAND'];
  return {
    every,
    intervalMs: parseDuration(flag, every),
    dir: checkpointDir(v, 'checkpoint-dir', env),
    key: signerKeyFrom(v['checkpoint-key'] as string | undefined, env, '--checkpoint-key'),
    ...(publishCommand ? { publishCommand } : {}),
  };
}

export function startCheckpointSchedule(config: CheckpointScheduleConfig, pool: Pool, log: (line: string) => void): CheckpointSchedule {
  const { every, intervalMs, dir, key, publishCommand } = config;
  let running: Promise<void> | undefined;
  let stopped = false;
  let lastOk = Date.now();
  const once = () => {
    running = writeCheckpoint(pool, { dir, key, onlyIfChanged: true, ...(publishCommand ? { publishCommand } : {}) })
      .then((r) => {
        lastOk = Date.now();
        if (r.written) log(`${PROG}: checkpoint ${r.number}: ${r.size} rows (${r.added} new) → ${r.notePath}`);
        for (const u of r.unverified) log(`${PROG}: warning: checkpoint: segment ${u.segment} is retired but NOT attested: ${u.reason}`);
      })
      .catch((err) => log(`${PROG}: ${err instanceof CheckpointRefused ? 'checkpoint REFUSED' : 'checkpoint failed'}: ${errorLine(err)}`))
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => {
    if (!running && !stopped) void once();
  }, intervalMs);
  timer.unref();
  log(`${PROG}: signing a checkpoint every ${every} into ${dir} as ${key.name}`);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      await once();
    },
    age: () => (Date.now() - lastOk) / 1000,
  };
}
