export const REDACTED = '[REDACTED]';

/** Key names whose values never leave the process. Matched case-insensitively, ignoring - and _, as substrings. */
export const BUILT_IN_REDACT_KEYS: readonly string[] = [
  'password', 'passwd', 'pwd', 'secret', 'token', 'authorization', 'cookie', 'api_key', 'apikey',
  'private_key', 'credential', 'session', 'ssn', 'credit_card', 'card_number', 'cvv', 'iban',
];

const normalize = (k: string) => k.toLowerCase().replace(/[-_\s]/g, '');

export type KeyMatcher = (key: string) => boolean;

export function createKeyMatcher(extra: readonly string[]): KeyMatcher {
  const needles = [...new Set([...BUILT_IN_REDACT_KEYS, ...extra].map(normalize).filter((n) => n !== ''))];
  const cache = new Map<string, boolean>();
  return (key) => {
    let hit = cache.get(key);
    if (hit === undefined) {
      const k = normalize(key);
      hit = needles.some((n) => k.includes(n));
      if (cache.size < 10_000) cache.set(key, hit);
    }
    return hit;
  };
}
