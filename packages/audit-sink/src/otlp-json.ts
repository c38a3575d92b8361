/**
 * OTLP/JSON bodies: parsed with JSON.parse after one pass over the text that bounds what the parse
 * may allocate and keeps 64-bit integers exact.
 */
import { MAX_JSON_CONTAINERS, PayloadError, RequestTooLarge, oneLine } from './limits';

/**
 * JSON.parse, except that integer literals beyond 2^53 keep their exact digits as strings
 * (OTLP/JSON allows int64 as numbers; the upstream JS exporter writes them that way), and that
 * a body with more than MAX_JSON_CONTAINERS objects and arrays is refused before parsing.
 */
export function parseOtlpJson(body: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(body);
  } catch {
    throw new PayloadError('invalid OTLP/JSON: body is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(prescanJson(text));
  } catch (err) {
    if (err instanceof RequestTooLarge) throw err;
    throw new PayloadError(`invalid OTLP/JSON: ${oneLine((err as Error).message)}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PayloadError('invalid OTLP/JSON: the body must be a JSON object (ExportLogsServiceRequest)');
  }
  return value;
}

/**
 * One pass over the JSON text, before JSON.parse allocates anything: counts objects and arrays
 * (RequestTooLarge beyond the limit) and puts quotes around integer literals that a double cannot
 * hold exactly. Strings are skipped whole. Malformed text is left for JSON.parse to report.
 * (A JSON.parse reviver reading `context.source` did the quoting before: ~100 bytes of memory per
 * value of the body, 1.85 GB for a 16 MiB body.)
 */
function prescanJson(text: string): string {
  let containers = 0;
  let quote: number[] | undefined;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // a string: find its closing quote (one not escaped by an odd number of backslashes)
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) return text;
        let k = q - 1;
        while (k > i && text.charCodeAt(k) === 0x5c) k--;
        if ((q - 1 - k) % 2 === 0) {
          i = q;
          break;
        }
        from = q + 1;
      }
    } else if (c === 0x7b || c === 0x5b) {
      if (++containers > MAX_JSON_CONTAINERS) {
        throw new RequestTooLarge(`OTLP/JSON body holds more than ${MAX_JSON_CONTAINERS} objects and arrays; send smaller batches`);
      }
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      for (; j < n; j++) {
        const d = text.charCodeAt(j);
        if (!((d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d)) break;
      }
      if (j - i >= 16) {
        const token = text.slice(i, j);
        if (/^-?\d+$/.test(token) && !Number.isSafeInteger(Number(token))) (quote ??= []).push(i, j);
      }
      i = j - 1;
    }
  }
  if (!quote) return text;
  let out = '';
  let at = 0;
  for (let k = 0; k < quote.length; k += 2) {
    out += text.slice(at, quote[k]) + '"' + text.slice(quote[k], quote[k + 1]) + '"';
    at = quote[k + 1]!;
  }
  return out + text.slice(at);
}
