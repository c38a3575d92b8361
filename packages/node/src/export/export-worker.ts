// The export thread: rebuilds spans and log records handed over by the request thread
// (wire.ts), serialises them to OTLP and sends them with the upstream exporter, and reports
// each export's result back. Its diagnostics go to the request thread's diag logger.
import { parentPort, workerData } from 'node:worker_threads';
import { diag } from '@opentelemetry/api';
import type { DiagLogger } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter } from '@opentelemetry/sdk-logs';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { diagLine, diagLogLevel } from '../diag';
import { upstreamLogExporter, upstreamSpanExporter } from './upstream';
import { WireDecoder } from './wire';
import type { FromWorker, Signal, ToWorker, WireError, WireLog, WireSpan, WorkerInit } from './wire';

const init = workerData as WorkerInit;
const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m);

const forward = (level: Extract<FromWorker, { t: 'diag' }>['level']) => (message: unknown, ...args: unknown[]) => {
  try {
    post({ t: 'diag', level, message: diagLine(message, args) });
  } catch {
    // the request thread is gone
  }
};
const logger: DiagLogger = { error: forward('error'), warn: forward('warn'), info: forward('info'), debug: forward('debug'), verbose: forward('verbose') };
diag.setLogger(logger, { logLevel: diagLogLevel(init.logLevel), suppressOverrideMessage: true });

const decoder = new WireDecoder();
const exporters: { traces?: SpanExporter; logs?: LogRecordExporter } = {};

function exporterFor(signal: Signal): SpanExporter | LogRecordExporter {
  const config = init.signals[signal];
  if (!config) throw new Error(`the export thread has no ${signal} configuration`);
  if (signal === 'traces') return (exporters.traces ??= upstreamSpanExporter(config));
  return (exporters.logs ??= upstreamLogExporter(config));
}

function primitive(v: unknown): unknown {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : undefined;
}

/** What the request thread needs of an error: refusal.ts reads code, message, data and details. */
function toWire(error: unknown): WireError {
  const e = error as { message?: unknown; name?: unknown; code?: unknown; data?: unknown; details?: unknown } | undefined;
  const out: WireError = { message: typeof e?.message === 'string' ? e.message : String(error) };
  if (typeof e?.name === 'string') out.name = e.name;
  for (const k of ['code', 'data', 'details'] as const) {
    const v = primitive(e?.[k]);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function reply(id: number, result: ExportResult): void {
  const ok = result.code === ExportResultCode.SUCCESS;
  post(ok ? { t: 'done', id, ok } : { t: 'done', id, ok, error: toWire(result.error ?? new Error('export failed')) });
}

port.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'resource':
    case 'scope':
      decoder.define(m);
      return;
    case 'export': {
      try {
        const exporter = exporterFor(m.signal);
        if (m.signal === 'traces') {
          (exporter as SpanExporter).export((m.items as WireSpan[]).map((w) => decoder.span(w)), (r) => reply(m.id, r));
        } else {
          (exporter as LogRecordExporter).export((m.items as WireLog[]).map((w) => decoder.log(w)), (r) => reply(m.id, r));
        }
      } catch (error) {
        reply(m.id, { code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      }
      return;
    }
    case 'shutdown': {
      const exporter = exporters[m.signal];
      delete exporters[m.signal];
      void Promise.resolve(exporter?.shutdown()).catch(() => {}).finally(() => post({ t: 'done', id: m.id, ok: true }));
      return;
    }
  }
});
