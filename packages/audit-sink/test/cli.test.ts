import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { runCli } from '../src/cli';
import { startThrowawayPostgres, type ThrowawayPostgres } from './helpers/throwaway-postgres';
import { assertExported, decision, exportWith, sdkRecords, uid } from './helpers/otlp-client';

const CLI = join(__dirname, '..', 'src', 'cli.ts');

async function cli(args: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (s) => (out += s), err: (s) => (err += s), env });
  return { code, out, err };
}

/** `domain-otel-audit serve` as a real process; resolves once it prints its URL. */
function spawnServe(args: string[], env: Record<string, string>): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 20_000);
    child.stderr!.on('data', (d) => {
      stderr += d;
      const m = /listening on (\S+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, stderr: () => stderr });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${stderr}`));
    });
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('domain-otel-audit CLI: migrate and serve as real commands', function () {
  this.timeout(120_000);
  let pg: ThrowawayPostgres;
  let adminUrl: string;
  let tmp: string;

  before(async () => {
    pg = await startThrowawayPostgres();
    adminUrl = await pg.createDatabase('cli');
    tmp = mkdtempSync(join(tmpdir(), 'audit-cli-'));
  });
  after(async () => {
    await pg?.destroy();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('migrate creates the schema, the roles, a writer login with a password, and is idempotent', async () => {
    const first = await cli(['migrate', '--database-url', adminUrl, '--writer-login', 'sink', '--months-ahead', '1'], {
      DOMAIN_OTEL_AUDIT_WRITER_PASSWORD: 's3cret',
    });
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /^migrated: applied 001_init\.sql, 002_streams_and_tenant_partitions\.sql(, \d{3}_[\w-]+\.sql)*; partitions \d{4}-\d{2}, \d{4}-\d{2}\n$/);
    assert.match(first.err, /creating login role sink/);
    const again = await cli(['migrate', '--database-url', adminUrl, '--writer-login', 'sink', '--months-ahead', '1']);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /^migrated: schema already current;/);
    const roles = await new Client({ connectionString: adminUrl });
    await roles.connect();
    const r = await roles.query(
      `SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = 'sink'`,
    );
    assert.deepEqual(r.rows.map((x) => x.rolname), ['domain_otel_audit_writer']);
    await roles.end();
    const bad = await cli(['migrate', '--database-url', adminUrl, '--writer-login', 'x; DROP TABLE y']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--writer-login "x; DROP TABLE y": expected a role name/);
  });

  it('serve: token from the environment, stores records, stops cleanly on SIGTERM', async () => {
    const { child, url, stderr } = await spawnServe(['--port', '0'], {
      DOMAIN_OTEL_AUDIT_SINK_TOKEN: 'env-token',
      DOMAIN_OTEL_AUDIT_DATABASE_URL: pg.connectionString('cli', 'sink'),
    });
    const done = exited(child);
    try {
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/v1\/logs$/);
      const u = uid();
      assertExported(await exportWith('proto', url, await sdkRecords([decision({ 'log.record.uid': u })]), { token: 'env-token' }));
      const denied = await exportWith('proto', url, await sdkRecords([decision()]), { token: 'wrong' });
      assert.notEqual(denied.code, 0);
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      assert.equal((await c.query('SELECT count(*)::int AS n FROM domain_otel_audit.records WHERE uid = $1', [u])).rows[0].n, 1);
      await c.end();
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await done, 0);
    assert.match(stderr(), /stopped \(requests 2, stored 1, duplicates 0, ignored 0\)/);
  });

  it('serve: HTTPS with --tls-cert/--tls-key and a token file', async () => {
    const key = join(tmp, 'key.pem');
    const cert = join(tmp, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const tokenFile = join(tmp, 'token');
    writeFileSync(tokenFile, 'file-token\n');
    const { child, url } = await spawnServe(['--port', '0', '--tls-cert', cert, '--tls-key', key, '--token-file', tokenFile,
      '--database-url', pg.connectionString('cli', 'sink')], {});
    const done = exited(child);
    try {
      assert.match(url, /^https:\/\/127\.0\.0\.1:\d+\/v1\/logs$/);
      const body = JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ eventName: 'domain.audit.decision', timeUnixNano: '1763000000000000000', attributes: [{ key: 'log.record.uid', value: { stringValue: 'tls-1' } }] }] }] }] });
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpsRequest(url, {
          method: 'POST',
          ca: readFileSync(cert),
          headers: { 'content-type': 'application/json', authorization: 'Bearer file-token' },
        }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        });
        req.on('error', reject);
        req.end(body);
      });
      assert.equal(status, 200);
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await done, 0);
  });

  it('serve: several tokens at once (the variable plus a token file, one per line), reloaded on SIGHUP: a rotation refuses nobody in between', async () => {
    const tokenFile = join(tmp, 'tokens');
    writeFileSync(tokenFile, '# tokens of the audit sink\nold-token\n\n  new-token  \n');
    const { child, url, stderr } = await spawnServe(['--port', '0', '--token-file', tokenFile], {
      DOMAIN_OTEL_AUDIT_SINK_TOKEN: 'env-token',
      DOMAIN_OTEL_AUDIT_DATABASE_URL: pg.connectionString('cli', 'sink'),
    });
    const done = exited(child);
    const accepted = async (token: string) => (await exportWith('proto', url, await sdkRecords([decision()]), { token })).code === 0;
    const reload = async (content: string, expect: RegExp) => {
      writeFileSync(tokenFile, content);
      const seen = stderr().length;
      child.kill('SIGHUP');
      for (let i = 0; i < 100 && !expect.test(stderr().slice(seen)); i++) await new Promise((r) => setTimeout(r, 50));
      assert.match(stderr().slice(seen), expect);
    };
    try {
      assert.match(stderr(), /accepting 3 bearer tokens \(1 from DOMAIN_OTEL_AUDIT_SINK_TOKEN, 2 from the token file\)/);
      assert.deepEqual([await accepted('old-token'), await accepted('new-token'), await accepted('env-token'), await accepted('other')], [true, true, true, false]);
      // rotation step: the old token is removed from the file; SIGHUP reloads it without a restart
      await reload('new-token\nnewer-token\n', /token file reloaded: accepting 3 bearer tokens/);
      assert.deepEqual([await accepted('old-token'), await accepted('new-token'), await accepted('newer-token'), await accepted('env-token')], [false, true, true, true]);
      // a broken file (empty, a token with a space inside) keeps the tokens in use
      await reload('\n', /the token file holds no token; keeping the 3 bearer tokens in use/);
      await reload('a b\n', /line 1: expected one token per line without spaces; keeping the 3 bearer tokens in use/);
      assert.equal(await accepted('newer-token'), true);
      assert.doesNotMatch(stderr(), /old-token|new-token|env-token/, 'tokens never printed');
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await done, 0);
    assert.match(stderr(), /responses 200: 7, 401: 2/);
  });

  it('serve: configuration errors are one line and exit 2', async () => {
    const run = (args: string[], env: Record<string, string> = {}) =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', ...args], {
          env: { ...process.env, DOMAIN_OTEL_AUDIT_SINK_TOKEN: '', ...env },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let err = '';
        child.stderr!.on('data', (d) => (err += d));
        child.on('exit', (code) => resolve({ code, err }));
      });
    const cases: [string[], Record<string, string>, string][] = [
      [[], {}, 'domain-otel-audit: serve: no bearer token; set DOMAIN_OTEL_AUDIT_SINK_TOKEN (or --token / --token-file), or pass --no-auth\n'],
      [['--token', 't', '--port', 'http'], {}, 'domain-otel-audit: --port "http": expected an integer from 0 to 65535\n'],
      [['--token', 't'], { DOMAIN_OTEL_AUDIT_SINK_MAX_BODY: 'huge' }, 'domain-otel-audit: DOMAIN_OTEL_AUDIT_SINK_MAX_BODY "huge": expected a size such as 16MiB, 512KiB or 1048576\n'],
      [['--token', 't', '--tls-cert', '/nonexistent.pem'], {}, 'domain-otel-audit: serve: TLS needs both --tls-cert and --tls-key\n'],
      [['--token', 't', '--no-auth'], {}, 'domain-otel-audit: serve: --no-auth conflicts with a configured token; use one or the other\n'],
      [['--token', 't'], { DOMAIN_OTEL_AUDIT_SINK_WORKERS: 'many' }, 'domain-otel-audit: DOMAIN_OTEL_AUDIT_SINK_WORKERS "many": expected an integer from 0 to 64\n'],
      [['--token', 't'], { DOMAIN_OTEL_AUDIT_SINK_ACCEPT_PAST: 'forever' }, 'domain-otel-audit: DOMAIN_OTEL_AUDIT_SINK_ACCEPT_PAST "forever": expected a positive duration such as 90s, 30m, 24h, 7d or 2w\n'],
      [['--token', 't', '--max-new-months', '0'], {}, 'domain-otel-audit: --max-new-months "0": expected an integer from 1 to 1000\n'],
      [['--token', 'two words'], {}, 'domain-otel-audit: --token: expected a token without spaces\n'],
    ];
    for (const [args, env, expected] of cases) {
      const r = await run(args, env);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.err, expected);
    }
  });
});
