// The rows of an HTTP bench (bench/http-rounds.mjs method): the service with all domain telemetry
// against the same service with only the upstream HTTP instrumentation, ratios per round reported
// as median (min–max), and the measured alternatives (full run only) side by side.
import { fmtSpread, medianOf, ratioSpread } from '../http-rounds.mjs';

const ALTERNATIVES = [
  ['inthread', 'export on the request thread (DOMAIN_OTEL_EXPORT_THREAD=off)'],
  ['thread', 'export on the export thread (DOMAIN_OTEL_EXPORT_THREAD=on)'],
  ['sdkrecords', 'domain records through the SDK LoggerProvider (DOMAIN_OTEL_RECORD_PATH=sdk)'],
];

/**
 * The export-thread alternative of a full run: the setting DOMAIN_OTEL_EXPORT_THREAD=auto does not
 * pick on this machine, so the default row and this one together show both.
 */
export async function exportThreadAlternative() {
  const { exportThreadWanted, usableCores } = await import('@domain-otel/node/internal');
  const cores = usableCores();
  const defaultOn = exportThreadWanted('auto', () => cores);
  return { cores, defaultOn, args: ['--variant', defaultOn ? 'inthread=DOMAIN_OTEL_EXPORT_THREAD=off' : 'thread=DOMAIN_OTEL_EXPORT_THREAD=on'] };
}

/** What the default is on this machine, for the rows' notes. */
export const describeDefault = (alt) => alt === undefined ? '' : `; default here: DOMAIN_OTEL_EXPORT_THREAD=auto → ${alt.defaultOn ? 'on' : 'off'} (${alt.cores} usable cores)`;

export const rpsAndP99 = (xs) => `${medianOf(xs, (x) => x.rps).toFixed(0)} req/s, p99 ${medianOf(xs, (x) => x.p99).toFixed(1)} ms`;
const cpuAbs = (xs) => `${medianOf(xs, (x) => x.threadUsPerReq).toFixed(0)} µs/req (process ${medianOf(xs, (x) => x.processUsPerReq).toFixed(0)})`;
const peakRss = (xs) => Math.max(...xs.map((x) => x.rssMiB)).toFixed(0);

/** Throughput and request-thread CPU rows of `report` (target: { rps, p99?, cpu? }); returns the baseline rounds and ratios. */
export function httpRows(row, label, report, target, alt) {
  const base = report.results.base;
  const ours = report.results.ours;
  const rps = ratioSpread(base, ours, (x) => x.rps);
  const p99 = ratioSpread(base, ours, (x) => x.p99);
  const cpu = ratioSpread(base, ours, (x) => x.threadUsPerReq);
  const errors = ours.reduce((n, x) => n + x.errors, 0);
  const rpsPass = rps.median >= target.rps && (target.p99 === undefined || p99.median <= target.p99) && errors === 0;
  row(`HTTP throughput, ${label}, all domain telemetry`, 'only upstream HTTP instrumentation', rpsAndP99(ours), rpsAndP99(base), rps.median,
    `≥ ${target.rps}× req/s${target.p99 !== undefined ? `, p99 ≤ ${target.p99}×` : ''}`, rpsPass,
    `req/s ${fmtSpread(rps)}; p99 ${fmtSpread(p99)}${errors ? `; ${errors} error responses` : ''}${describeDefault(alt)}`);
  // The CPU target is the figure for machines with a core to spare, where auto starts the export
  // thread; where auto leaves it off (here), it applies to the export-thread alternative.
  const cpuTargetOnDefault = target.cpu !== undefined && (alt === undefined || alt.defaultOn);
  row(`request-thread CPU per request, ${label}, all domain telemetry`, 'only upstream HTTP instrumentation', cpuAbs(ours), cpuAbs(base), cpu.median,
    cpuTargetOnDefault ? `≤ ${target.cpu}×` : target.cpu !== undefined ? `reported (≤ ${target.cpu}× applies to the export-thread row)` : 'reported', cpuTargetOnDefault ? cpu.median <= target.cpu : null,
    `${fmtSpread(cpu)}; process.threadCpuUsage() of the server's main thread; RSS under load up to ${peakRss(ours)} MiB (base ${peakRss(base)} MiB)${describeDefault(alt)}`);
  // measured alternatives, side by side: same service, one setting changed
  for (const [variant, what] of ALTERNATIVES) {
    const other = report.results[variant];
    if (!other) continue;
    const altCpu = ratioSpread(base, other, (x) => x.threadUsPerReq);
    const altRps = ratioSpread(base, other, (x) => x.rps);
    const cpuTarget = target.cpu !== undefined && !cpuTargetOnDefault && variant === 'thread';
    const compare = `compare with the default here (${cpu.median.toFixed(2)}× CPU, ${rps.median.toFixed(2)}× req/s)`;
    row(`alternative: ${label}, ${what}`, 'only upstream HTTP instrumentation', `${cpuAbs(other)}; ${medianOf(other, (x) => x.rps).toFixed(0)} req/s`, cpuAbs(base), altCpu.median,
      cpuTarget ? `≤ ${target.cpu}× request-thread CPU (the default from 3 cores); ${compare}` : compare, cpuTarget ? altCpu.median <= target.cpu : null,
      `CPU ${fmtSpread(altCpu)}; req/s ${fmtSpread(altRps)}; RSS under load up to ${peakRss(other)} MiB`);
  }
  return { base, rps, cpu };
}
