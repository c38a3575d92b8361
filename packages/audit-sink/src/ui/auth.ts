/**
 * Who may look: the viewer's own tokens (never the sink's ingest token) and the sessions they open.
 *
 * A token file holds one token per line, optionally scoped to one tenant and named for the access
 * records:
 *
 *   # TOKEN [tenant=ID] [name=LABEL]
 *   3f9c…e1                      name=auditor
 *   9a0d…77  tenant=acme         name=acme-admin
 *
 * A person presents a token once — the login form, or a first visit to `/?token=…` — and gets a
 * session cookie (random, HttpOnly, SameSite=Strict, Secure over TLS); the token itself is never
 * put in a cookie. Scripts may send `Authorization: Bearer TOKEN` with each request instead.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { UsageError } from '../errors';

export interface ViewerToken {
  /** sha256 of the token (tokens are compared by digest, in constant time). */
  digest: Buffer;
  /** Only this tenant's records; null: every tenant. */
  tenant: string | null;
  /** Who this is in the access records: name=LABEL, or `token:<first 8 hex of the token's sha256>`. */
  identity: string;
}

export interface Viewer {
  identity: string;
  tenant: string | null;
}

export const MIN_TOKEN_LENGTH = 16;

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function viewerToken(token: string, tenant: string | null, name?: string): ViewerToken {
  const d = digest(token);
  return { digest: d, tenant, identity: name ?? `token:${d.toString('hex').slice(0, 8)}` };
}

/** Parses a token file; `where` names it in errors (one line: the line number and what is expected). */
export function parseTokenFile(text: string, where: string): ViewerToken[] {
  const out: ViewerToken[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [token, ...rest] = line.split(/\s+/);
    const at = `${where} line ${i + 1}`;
    if (token!.length < MIN_TOKEN_LENGTH) throw new UsageError(`${at}: expected a token of at least ${MIN_TOKEN_LENGTH} characters (e.g. openssl rand -hex 32), then optional tenant=ID name=LABEL`);
    let tenant: string | null = null;
    let name: string | undefined;
    for (const field of rest) {
      const m = /^(tenant|name)=(.+)$/.exec(field);
      if (!m) throw new UsageError(`${at}: ${JSON.stringify(field.slice(0, 40))}: expected tenant=ID or name=LABEL after the token`);
      if (m[1] === 'tenant') {
        if (m[2]!.length > 256) throw new UsageError(`${at}: tenant id longer than 256 characters`);
        tenant = m[2]!;
      } else {
        if (!/^[\w.@:-]{1,64}$/.test(m[2]!)) throw new UsageError(`${at}: name ${JSON.stringify(m[2]!.slice(0, 40))}: expected 1-64 letters, digits or . _ @ : -`);
        name = m[2]!;
      }
    }
    const t = viewerToken(token!, tenant, name);
    if (out.some((o) => o.digest.equals(t.digest))) throw new UsageError(`${at}: the same token appears twice`);
    out.push(t);
  }
  if (out.length === 0) throw new UsageError(`${where}: no token in the file (one per line: TOKEN [tenant=ID] [name=LABEL])`);
  return out;
}

/** The token that matches, compared by digest in constant time over every configured token. */
export function matchToken(tokens: readonly ViewerToken[], presented: string | undefined | null): ViewerToken | undefined {
  if (!presented) return undefined;
  const d = digest(presented);
  let found: ViewerToken | undefined;
  for (const t of tokens) if (timingSafeEqual(t.digest, d) && !found) found = t;
  return found;
}

export const SESSION_COOKIE = 'domain_otel_audit_viewer';

interface Session extends Viewer {
  expires: number;
}

/** Server-side sessions: the cookie holds a random id only. */
export class Sessions {
  private readonly byId = new Map<string, Session>();

  constructor(
    private readonly ttlMs: number,
    private readonly secureCookie: boolean,
  ) {}

  open(viewer: Viewer): { id: string; cookie: string } {
    this.sweep();
    const id = randomBytes(32).toString('base64url');
    this.byId.set(id, { ...viewer, expires: Date.now() + this.ttlMs });
    return { id, cookie: this.cookie(id, Math.floor(this.ttlMs / 1000)) };
  }

  get(cookieHeader: string | undefined): Viewer | undefined {
    const id = readCookie(cookieHeader, SESSION_COOKIE);
    if (!id) return undefined;
    const s = this.byId.get(id);
    if (!s) return undefined;
    if (s.expires <= Date.now()) {
      this.byId.delete(id);
      return undefined;
    }
    return { identity: s.identity, tenant: s.tenant };
  }

  close(cookieHeader: string | undefined): string {
    const id = readCookie(cookieHeader, SESSION_COOKIE);
    if (id) this.byId.delete(id);
    return this.cookie('', 0);
  }

  private cookie(value: string, maxAge: number): string {
    return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${this.secureCookie ? '; Secure' : ''}`;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, s] of this.byId) if (s.expires <= now) this.byId.delete(id);
  }
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
