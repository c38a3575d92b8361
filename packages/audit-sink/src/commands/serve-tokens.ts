/**
 * The bearer tokens `serve` accepts from senders: the flag or variable, and the lines of a token
 * file (re-read on SIGHUP). Errors name the flag or the file and a line number, never a token.
 */
import { readFileSync } from 'node:fs';
import { parseNonEmpty } from '../args';
import { UsageError, errorLine } from '../errors';

/** Where a setting came from (`--token` or the variable's name) and its value. */
export type Setting = [where: string, value: string];

export interface TokenSources {
  value: Setting | undefined;
  file: Setting | undefined;
}

/**
 * Every configured token is accepted: the flag/variable first, then each line of the file not
 * equal to it (several at once is what lets a token be rotated without refusing anybody).
 */
export function collectTokens({ value, file }: TokenSources): string[] {
  const first = value ? parseToken(value[0], value[1]) : undefined;
  const fromFile = file ? readTokenFile(file[0], file[1]) : [];
  return [...new Set([...(first !== undefined ? [first] : []), ...fromFile])];
}

/** "accepting 3 bearer tokens (1 from --token, 2 from the token file)". */
export function describeTokens(list: string[], { value, file }: TokenSources): string {
  return `accepting ${list.length} bearer token${list.length === 1 ? '' : 's'}` +
    (value && file ? ` (1 from ${value[0]}, ${list.length - 1} from the token file)` : '');
}

/** A bearer token from the flag or variable: one word (the Authorization header carries it after `Bearer `). */
function parseToken(name: string, value: string): string {
  const token = parseNonEmpty(name, value).trim();
  if (/\s/.test(token)) throw new UsageError(`${name}: expected a token without spaces`);
  return token;
}

/** The token file: one token per line; blank lines and lines starting with # are skipped. */
function readTokenFile(name: string, path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${name} ${JSON.stringify(path)}: cannot read the token file (${errorLine(err)})`);
  }
  const tokens: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    // The line number, never the line: it is a secret.
    if (/\s/.test(line)) throw new UsageError(`${name} ${JSON.stringify(path)}: line ${i + 1}: expected one token per line without spaces`);
    tokens.push(line);
  }
  if (tokens.length === 0) throw new UsageError(`${name} ${JSON.stringify(path)}: the token file holds no token`);
  return tokens;
}
