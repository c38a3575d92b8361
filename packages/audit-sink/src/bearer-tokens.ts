/** The bearer tokens a receiver accepts, compared so that timing tells nothing about them. */
import { createHash, timingSafeEqual } from 'node:crypto';

export class BearerTokens {
  private digests: Buffer[];

  constructor(tokens: readonly string[]) {
    this.digests = digests(tokens);
  }

  /** Replace the accepted tokens; several at once let senders switch from an old one to a new one. */
  replace(tokens: readonly string[]): void {
    this.digests = digests(tokens);
  }

  /** Whether an Authorization header carries one of the tokens. */
  accepts(header: string | undefined): boolean {
    if (typeof header !== 'string') return false;
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (!m) return false;
    // Compare fixed-length digests so neither content nor length leaks through timing; every
    // accepted token is compared, so the time does not tell which one matched.
    const presented = digest(m[1]!);
    let ok = false;
    for (const d of this.digests) ok = timingSafeEqual(presented, d) || ok;
    return ok;
  }
}

function digests(tokens: readonly string[]): Buffer[] {
  if (tokens.length === 0) throw new Error('at least one bearer token is required');
  if (tokens.some((t) => t === '')) throw new Error('the bearer token must not be empty');
  return tokens.map(digest);
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
