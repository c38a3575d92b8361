export const REDACTED = '[REDACTED]';

/**
 * Key names whose values never leave the process (DOMAIN_OTEL_REDACT adds to them). How a
 * key is matched against them: see {@link createKeyMatcher}.
 */
export const BUILT_IN_REDACT_KEYS: readonly string[] = [
  'password', 'passwords', 'passwd', 'pwd', 'passphrase', 'secret', 'secrets', 'token', 'jwt', 'bearer',
  'authorization', 'auth', 'cookie', 'cookies', 'session', 'api_key', 'private_key', 'credential', 'credentials',
  'signature', 'otp', 'pin', 'ssn', 'credit_card', 'card_number', 'cvv', 'cvc', 'iban', 'connection_string', 'dsn',
];

/** Entries shorter than this must match whole words (`pin` not in `shipping`, `auth` not in `author`). */
export const WHOLE_WORD_BELOW = 5;

export type KeyMatcher = (key: string) => boolean;

interface Words {
  /** The words, lowercased and joined without separators. */
  joined: string;
  /** Offsets in `joined` where a word starts / ends. */
  starts: Set<number>;
  ends: Set<number>;
}

// Word boundaries inside a run of letters and digits: camelCase (`apiKey`), the last capital
// of an acronym before a lowercase letter (`APIKey` → API|Key), and letter↔digit (`pin2`).
const INNER_BOUNDARY = /(?<=\p{Ll})(?=\p{Lu})|(?<=\p{Lu})(?=\p{Lu}\p{Ll})|(?<=\p{L})(?=\p{N})|(?<=\p{N})(?=\p{L})/u;
const SEPARATORS = /[^\p{L}\p{N}]+/u;

/** Splits a key into words: at every character that is not a letter or digit, and at INNER_BOUNDARY. */
export function splitWords(key: string): string[] {
  const out: string[] = [];
  for (const part of key.split(SEPARATORS)) {
    if (part === '') continue;
    for (const w of part.split(INNER_BOUNDARY)) if (w !== '') out.push(w.toLowerCase());
  }
  return out;
}

function words(key: string): Words {
  const starts = new Set<number>();
  const ends = new Set<number>();
  let joined = '';
  for (const w of splitWords(key)) {
    starts.add(joined.length);
    joined += w;
    ends.add(joined.length);
  }
  return { joined, starts, ends };
}

/**
 * The matching rule. A key and every entry are split into words (see {@link splitWords}) and
 * joined, lowercase, without separators: `api_key`, `apiKey`, `API-Key` and `x-api-key` all
 * contain `apikey`. An entry matches a key when it occurs in the key's joined words
 * **ending where a word ends**; an entry shorter than 5 characters must also **start where a
 * word starts** (whole words only). So `accessToken`, `x-auth-token`, `newpassword`,
 * `DB_PASSWORD`, `sentry_dsn`, `userPin` and `pin2` match, while `shipping` (pin), `author`
 * (auth), `hotpath` (otp), `classname` (ssn), `input_tokens` (token) and `secretary` (secret)
 * do not. Known over-match: a long entry at the end of a longer word (`possession`).
 */
export function createKeyMatcher(extra: readonly string[]): KeyMatcher {
  const entries = [...new Set([...BUILT_IN_REDACT_KEYS, ...extra].map((e) => splitWords(e).join('')).filter((n) => n !== ''))];
  const cache = new Map<string, boolean>();
  const matches = (key: string): boolean => {
    const w = words(key);
    for (const entry of entries) {
      const wholeWord = entry.length < WHOLE_WORD_BELOW;
      for (let at = w.joined.indexOf(entry); at !== -1; at = w.joined.indexOf(entry, at + 1)) {
        if (w.ends.has(at + entry.length) && (!wholeWord || w.starts.has(at))) return true;
      }
    }
    return false;
  };
  return (key) => {
    let hit = cache.get(key);
    if (hit === undefined) {
      hit = matches(key);
      if (cache.size < 10_000) cache.set(key, hit);
    }
    return hit;
  };
}
