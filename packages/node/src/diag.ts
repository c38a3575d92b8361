import { diag, DiagLogLevel } from '@opentelemetry/api';
import type { DiagLogger } from '@opentelemetry/api';
import type { LogLevelName } from './config/variables';

const LEVELS: Record<LogLevelName, DiagLogLevel> = {
  none: DiagLogLevel.NONE,
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL,
};

/** One line per message on stderr, never throwing (stderr may be closed). */
const stderrLogger: DiagLogger = {
  error: (m, ...a) => write('error', m, a),
  warn: (m, ...a) => write('warn', m, a),
  info: (m, ...a) => write('info', m, a),
  debug: (m, ...a) => write('debug', m, a),
  verbose: (m, ...a) => write('verbose', m, a),
};

function describe(a: unknown): string {
  if (typeof a === 'string') return a;
  if (a instanceof Error) return a.message;
  if (typeof a === 'object' && a !== null && typeof (a as { message?: unknown }).message === 'string') return (a as { message: string }).message;
  return safeJson(a);
}

/** One line from a diag call's arguments. */
export function diagLine(message: unknown, args: unknown[]): string {
  const extra = args.map(describe).join(' ');
  return `${describe(message)}${extra ? ` ${extra}` : ''}`.replace(/\s*\n\s*/g, ' ');
}

export function diagLogLevel(level: LogLevelName): DiagLogLevel {
  return LEVELS[level];
}

function write(level: string, message: unknown, args: unknown[]): void {
  try {
    const text = diagLine(message, args);
    process.stderr.write(`${text.startsWith('domain-otel') ? '' : `domain-otel [${level}] `}${text}\n`);
  } catch {
    // nothing sensible left to do
  }
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

export function installDiag(level: LogLevelName): void {
  diag.setLogger(stderrLogger, { logLevel: LEVELS[level], suppressOverrideMessage: true });
}

export function isAtLeast(level: LogLevelName, wanted: LogLevelName): boolean {
  return LEVELS[level] >= LEVELS[wanted];
}

const reported = new Set<string>();

/** Reports a problem once per key, however often it happens. */
export function reportOnce(key: string, message: string): void {
  if (reported.has(key)) return;
  reported.add(key);
  diag.warn(message);
}
