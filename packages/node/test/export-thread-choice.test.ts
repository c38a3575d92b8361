import assert from 'node:assert/strict';
import path from 'node:path';
import { OtlpReceiver } from '../../../test/helpers/otlp-receiver';
import { loadConfig } from '../src/config/load';
import { cgroupCpuLimit, EXPORT_THREAD_MIN_CORES, exportThreadWanted, usableCores } from '../src/export/usable-cores';
import { childEnv, FIXTURES, runApp } from './helpers';

/** A file reader over a fixed set of files; any other path fails as a missing file does. */
const files = (contents: Record<string, string>) => (file: string): string => {
  if (file in contents) return contents[file]!;
  throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
};

describe('DOMAIN_OTEL_EXPORT_THREAD: on, off, or auto by the usable cores', () => {
  it('accepts on, off and auto (default auto); anything else is one warning and the default', () => {
    assert.equal(loadConfig({}).config.exportThread, 'auto');
    assert.equal(loadConfig({ DOMAIN_OTEL_EXPORT_THREAD: 'ON' }).config.exportThread, 'on');
    assert.equal(loadConfig({ DOMAIN_OTEL_EXPORT_THREAD: 'false' }).config.exportThread, 'off');
    assert.equal(loadConfig({ DOMAIN_OTEL_EXPORT_THREAD: ' auto ' }).config.exportThread, 'auto');
    const { config, warnings } = loadConfig({ DOMAIN_OTEL_EXPORT_THREAD: 'sometimes' });
    assert.equal(config.exportThread, 'auto');
    assert.deepEqual(warnings.lines, ['domain-otel: ignoring DOMAIN_OTEL_EXPORT_THREAD="sometimes": expected on, off or auto; using the default (auto)']);
  });

  it('auto starts the thread from 3 usable cores; on and off do not ask', () => {
    assert.equal(EXPORT_THREAD_MIN_CORES, 3);
    assert.equal(exportThreadWanted('auto', () => 1), false);
    assert.equal(exportThreadWanted('auto', () => 2), false);
    assert.equal(exportThreadWanted('auto', () => 3), true);
    assert.equal(exportThreadWanted('auto', () => 64), true);
    const never = () => assert.fail('cores read for an explicit setting');
    assert.equal(exportThreadWanted('on', never), true);
    assert.equal(exportThreadWanted('off', never), false);
  });

  it('a cgroup v2 CPU limit lowers the cores to its quota, rounded up', () => {
    assert.equal(usableCores(files({ '/sys/fs/cgroup/cpu.max': '150000 100000\n' }), 16), 2);
    assert.equal(usableCores(files({ '/sys/fs/cgroup/cpu.max': '50000 100000\n' }), 16), 1);
    assert.equal(usableCores(files({ '/sys/fs/cgroup/cpu.max': '400000 100000\n' }), 16), 4);
    // a limit above the CPUs the process may run on does not raise them
    assert.equal(usableCores(files({ '/sys/fs/cgroup/cpu.max': '800000 100000\n' }), 2), 2);
    assert.equal(usableCores(files({ '/sys/fs/cgroup/cpu.max': 'max 100000\n' }), 16), 16);
  });

  it('cgroup v1: cfs quota over period; -1 is no limit', () => {
    assert.equal(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '250000\n', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n' })), 2.5);
    assert.equal(usableCores(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '250000\n', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n' }), 8), 3);
    assert.equal(usableCores(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1\n', '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n' }), 8), 8);
  });

  it('no cgroup files, or unreadable ones: the CPUs the process may run on', () => {
    assert.equal(usableCores(files({}), 6), 6);
    assert.equal(usableCores(files({ '/sys/fs/cgroup/cpu.max': 'garbage' }), 6), 6);
    assert.equal(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '100000' })), undefined);
  });

  it('an app with the default: the exporters are where auto decides for this machine, and the start line says so', async () => {
    const threadHere = exportThreadWanted('auto');
    const receiver = await new OtlpReceiver().start();
    try {
      const env = childEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpUrl, OTEL_LOG_LEVEL: 'info' });
      const result = await runApp(['--require', '@domain-otel/node/register', path.join(FIXTURES, 'exporter-modules.cjs')], env);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, new RegExp(`export thread ${threadHere ? 'on' : 'off'} \\(auto\\)`));
      const line = JSON.parse(result.stdout.split('\n').find((l) => l.startsWith('{'))!) as { afterExport: string[] };
      // with the thread, only the metrics exporter is loaded on the request thread; without, all three signals' are
      const expected = threadHere ? ['exporter-metrics-otlp-http', 'exporter-metrics-otlp-proto']
        : ['exporter-logs-otlp-proto', 'exporter-metrics-otlp-http', 'exporter-metrics-otlp-proto', 'exporter-trace-otlp-proto'];
      assert.deepEqual(line.afterExport.filter((m) => m.startsWith('exporter-')), expected);
      await receiver.waitFor(() => receiver.logs.some((l) => l.eventName === 'domain.audit.decision'), 10_000, 'the app\'s audit record');
    } finally {
      await receiver.stop();
    }
  });
});
