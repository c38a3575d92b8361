import { readFileSync } from 'node:fs';
import os from 'node:os';

type ReadText = (file: string) => string;

const readText: ReadText = (file) => readFileSync(file, 'utf8');

/**
 * The cores this process can keep busy: `os.availableParallelism()` (the CPUs it may run on),
 * lowered to its cgroup's CPU limit when one is set (a container limited to 1.5 CPUs on a
 * 16-core host gets 2): cgroup v2 `cpu.max`, else cgroup v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`.
 */
export function usableCores(read: ReadText = readText, parallelism: number = os.availableParallelism()): number {
  const limit = cgroupCpuLimit(read);
  return limit === undefined ? parallelism : Math.max(1, Math.min(parallelism, Math.ceil(limit)));
}

/** The cgroup's CPU limit in cores, undefined when there is none or it cannot be read. */
export function cgroupCpuLimit(read: ReadText): number | undefined {
  const v2 = attempt(() => read('/sys/fs/cgroup/cpu.max'));
  if (v2 !== undefined) {
    const [quota, period] = v2.trim().split(/\s+/);
    return quotaOver(quota, period);
  }
  const quota = attempt(() => read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'));
  const period = attempt(() => read('/sys/fs/cgroup/cpu/cpu.cfs_period_us'));
  return quota === undefined || period === undefined ? undefined : quotaOver(quota.trim(), period.trim());
}

/** `quota / period` in cores; "max" or -1 (no limit) and anything unreadable give undefined. */
function quotaOver(quota: string | undefined, period: string | undefined): number | undefined {
  const q = Number(quota);
  const p = Number(period);
  return Number.isFinite(q) && Number.isFinite(p) && q > 0 && p > 0 ? q / p : undefined;
}

function attempt(f: () => string): string | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/** Fewest usable cores for which DOMAIN_OTEL_EXPORT_THREAD=auto starts the export thread. */
export const EXPORT_THREAD_MIN_CORES = 3;

let cached: number | undefined;
/** usableCores() of this process, read once. */
const processCores = (): number => (cached ??= usableCores());

/** Whether spans and log records are exported by the export thread, for a DOMAIN_OTEL_EXPORT_THREAD setting. */
export function exportThreadWanted(setting: 'on' | 'off' | 'auto', cores: () => number = processCores): boolean {
  if (setting !== 'auto') return setting === 'on';
  return cores() >= EXPORT_THREAD_MIN_CORES;
}
