// How secrets are found inside values recorded by upstream instrumentations and log bridges.
// Which key names count as secret is the matcher of @domain-otel/instrumentation-domain.
import { REDACTED } from '@domain-otel/instrumentation-domain';
import type { createKeyMatcher } from '@domain-otel/instrumentation-domain';

type KeyMatcher = ReturnType<typeof createKeyMatcher>;

/** Inside URLs, the marker OpenTelemetry's HTTP instrumentations use: it keeps the URL valid. */
export const URL_REDACTED = 'REDACTED';

const SCHEME_USERINFO = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^/?#]*)@/;

/**
 * A URL (or a path with a query, or a bare query string): the value of every query or fragment
 * parameter whose name is secret becomes `REDACTED`, and userinfo becomes `REDACTED:REDACTED`.
 * Everything else is left byte for byte as it was.
 */
export function redactUrl(value: string, isSecret: KeyMatcher, bareQuery = false): string {
  if (bareQuery) return redactParams(value, isSecret);
  let out = value.replace(SCHEME_USERINFO, `$1${URL_REDACTED}:${URL_REDACTED}@`);
  const q = out.indexOf('?');
  const h = out.indexOf('#');
  if (q === -1 && h === -1) return out;
  const cut = q === -1 ? h : h === -1 ? q : Math.min(q, h);
  let rest = out.slice(cut + 1);
  const sep = out[cut];
  out = out.slice(0, cut + 1);
  if (sep === '?') {
    const hash = rest.indexOf('#');
    const query = hash === -1 ? rest : rest.slice(0, hash);
    out += redactParams(query, isSecret);
    if (hash === -1) return out;
    out += '#';
    rest = rest.slice(hash + 1);
  }
  return out + redactParams(rest, isSecret);
}

function redactParams(query: string, isSecret: KeyMatcher): string {
  if (!query.includes('=')) return query;
  return query.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq <= 0) return pair;
    return isSecret(decodeName(pair.slice(0, eq))) ? `${pair.slice(0, eq)}=${URL_REDACTED}` : pair;
  }).join('&');
}

function decodeName(name: string): string {
  if (!name.includes('%') && !name.includes('+')) return name;
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

// Every rule below needs one of these: most strings are let through by this one native scan.
const MAY_HOLD_SECRET = /[=:]|Bearer|Basic|eyJ/;
const SEPARATOR = /[=:]/g;
const AUTH_SCHEME = /^(?:Bearer|Basic|Digest|Token|Negotiate)[ \t]+/i;
const UNQUOTED_VALUE_END = /[\s&,;"'<>()[\]{}]/;
const USERINFO_PASSWORD = /\b([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^\s:/?#@]+):([^\s/?#@]+)@/g;
const BEARER_OR_BASIC = /\b(Bearer|Basic)[ \t]+([A-Za-z0-9\-._~+/]+=*)/g;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;

/**
 * Free text (exception messages and stack traces, log bodies and string attributes, span names
 * and status messages). Replaced by `[REDACTED]`:
 * - the value after `key=` / `key:` / `"key": ` when the key is secret (quoted values to the
 *   closing quote; unquoted ones to the next space, `&`, `,`, `;`, quote or bracket; an auth
 *   scheme like `Bearer ` is part of the value);
 * - the password of `scheme://user:password@`;
 * - the credentials after a bare `Bearer ` (when they look like a token: 8+ characters with a
 *   digit or one of `-._~+/=`) or `Basic ` (when they decode to `user:password`);
 * - anything shaped like a JWT (`eyJ….eyJ….…`).
 */
export function redactText(text: string, isSecret: KeyMatcher): string {
  if (!MAY_HOLD_SECRET.test(text)) return text;
  let out = text;
  if (out.includes('://')) out = out.replace(USERINFO_PASSWORD, `$1$2:${REDACTED}@`);
  if (out.includes('=') || out.includes(':')) out = redactPairs(out, isSecret);
  if (out.includes('Bearer') || out.includes('Basic')) out = out.replace(BEARER_OR_BASIC, (m, scheme: string, cred: string) => (looksLikeCredentials(scheme, cred) ? `${scheme} ${REDACTED}` : m));
  if (out.includes('eyJ')) out = out.replace(JWT, REDACTED);
  return out;
}

// A key is a run of letters, digits, `_`, `.` and `-` right before `=` or `:` (spaces and a
// closing quote may sit between). Found by looking back from each separator: one pass, no regex.
function redactPairs(text: string, isSecret: KeyMatcher): string {
  let out = '';
  let copied = 0;
  SEPARATOR.lastIndex = 0;
  for (let sep = SEPARATOR.exec(text); sep !== null; sep = SEPARATOR.exec(text)) {
    const i = sep.index;
    if (i < copied) continue;
    let j = i - 1;
    while (j >= copied && (text[j] === ' ' || text[j] === '\t')) j--;
    const quote = j >= copied && (text[j] === '"' || text[j] === "'") ? text[j] : '';
    if (quote) j--;
    const keyEnd = j + 1;
    while (j >= copied && isKeyChar(text.charCodeAt(j), text[j])) j--;
    const keyStart = j + 1;
    if (keyStart === keyEnd || (quote && text[keyStart - 1] !== quote)) continue;
    if (!isSecret(text.slice(keyStart, keyEnd))) continue;
    let v = i + 1;
    while (v < text.length && (text[v] === ' ' || text[v] === '\t')) v++;
    const [from, to] = valueSpan(text, v);
    if (to <= from) continue;
    out += text.slice(copied, from) + REDACTED;
    copied = to;
    SEPARATOR.lastIndex = to;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

const NON_ASCII_KEY_CHAR = /[\p{L}\p{N}]/u;
function isKeyChar(code: number, ch: string): boolean {
  if (code < 0x80) {
    return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x5f || code === 0x2e || code === 0x2d;
  }
  return NON_ASCII_KEY_CHAR.test(ch);
}

/** Where the value starting at `start` begins and ends (inside its quotes when quoted). */
function valueSpan(text: string, start: number): [number, number] {
  const quote = text[start];
  if (quote === '"' || quote === "'") {
    let i = start + 1;
    while (i < text.length && text[i] !== quote) i += text[i] === '\\' ? 2 : 1;
    return [start + 1, Math.min(i, text.length)];
  }
  let i = start;
  const scheme = AUTH_SCHEME.exec(text.slice(start, start + 16));
  if (scheme) i += scheme[0].length;
  while (i < text.length && !UNQUOTED_VALUE_END.test(text[i])) i++;
  return [start, i];
}

function looksLikeCredentials(scheme: string, cred: string): boolean {
  if (scheme === 'Basic') {
    try {
      return Buffer.from(cred, 'base64').toString('utf8').includes(':');
    } catch {
      return false;
    }
  }
  return cred.length >= 8 && /[0-9\-._~+/=]/.test(cred);
}
