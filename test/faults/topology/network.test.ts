// The topology's hosts: isolated from this namespace, reachable from each other, and never left
// behind — not after teardown, not when the process exits early, not when it is SIGKILLed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Network, netnsAvailable } from './network';

const HOLD = 'require("node:http").createServer((q, r) => r.end("from " + process.argv[1])).listen(4399, process.argv[1]); setTimeout(() => process.exit(0), 8000)';

function namespaces(prefix: string): string[] {
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(prefix));
}

/** Runs a script that sets up a network of two hosts and then ends as told. */
function child(end: 'exit' | 'throw' | 'sigkill'): { id: number; out: string } {
  const script = `
    const { Network } = require(${JSON.stringify(require.resolve('./network'))});
    const net = new Network('netns');
    net.setup(['a', 'b']);
    console.log('READY ' + process.pid);
    ${end === 'exit' ? 'process.exit(3);' : end === 'throw' ? 'throw new Error("boom");' : 'process.kill(process.pid, "SIGKILL");'}`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  const m = /READY (\d+)/.exec(r.stdout);
  assert.ok(m, `the child set up its network: ${r.stderr}`);
  return { id: Number(m[1]), out: r.stdout };
}

describe('topology network', function () {
  this.timeout(120_000);
  const hasNetns = netnsAvailable();

  it(`hosts reach each other on 127.77.0.x (${hasNetns ? 'namespaces' : 'loopback addresses'}); in namespaces, not from here`, async function () {
    const net = Network.choose('auto');
    try {
      net.setup(['a', 'b']);
      const [a, b] = [net.host('a'), net.host('b')];
      assert.equal(a.ip, '127.77.0.10');
      assert.equal(b.ip, '127.77.0.11');
      const [cmd, args] = net.command(b, process.execPath, ['-e', HOLD, b.ip]);
      const server = (await import('node:child_process')).spawn(cmd, args, { stdio: 'ignore' });
      try {
        let got: { status: number; body: string } | undefined;
        for (let i = 0; i < 40 && !got; i++) { got = await net.get(a, `http://${b.ip}:4399/`); if (!got) await new Promise((r) => setTimeout(r, 100)); }
        assert.deepEqual(got, { status: 200, body: `from ${b.ip}` });
        if (net.mode === 'netns') {
          // Here, 127.77.0.11 is our own loopback: the server inside b's namespace is not there.
          const here = await fetch(`http://${b.ip}:4399/`, { signal: AbortSignal.timeout(2000) }).then((r) => r.status, (e: Error) => e.cause ?? e);
          assert.notEqual(here, 200);
        }
      } finally {
        server.kill('SIGKILL');
      }
    } finally {
      net.teardownSync();
    }
    assert.deepEqual(net.remaining(), []);
  });

  describe('cleanup', function () {
    before(function () {
      if (!hasNetns) this.skip(); // namespaces need root and iproute2; loopback addresses leave nothing behind
    });

    it('removes its namespaces when the process exits early or throws', function () {
      for (const end of ['exit', 'throw'] as const) {
        const { id } = child(end);
        assert.deepEqual(namespaces(`dotel-${id}-`), [], `after ${end}`);
      }
    });

    it("sweeps the namespaces of a SIGKILLed run at the next setup", function () {
      const { id } = child('sigkill');
      assert.deepEqual(namespaces(`dotel-${id}-`).sort(), [`dotel-${id}-a`, `dotel-${id}-b`, `dotel-${id}-switch`], 'a SIGKILLed run cannot clean up');
      const net = new Network('netns');
      try {
        net.setup(['c']);
        assert.deepEqual(namespaces(`dotel-${id}-`), [], 'swept');
      } finally {
        net.teardownSync();
      }
    });
  });
});
