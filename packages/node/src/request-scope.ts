import type { IncomingMessage } from 'node:http';
import type { Span } from '@opentelemetry/api';
import { ACTOR_ATTRIBUTES, actorStorage, getActor } from '@domain-otel/api';
import type { Actor } from '@domain-otel/api';

/**
 * Fills the actor scope for an incoming HTTP request: correlation id (first configured header
 * present, else the trace id), client address and user agent. The app then only names the
 * user with setActor() in its auth middleware, which merges into this same scope.
 */
export function incomingRequestHook(correlationHeaders: readonly string[]) {
  return (span: Span, request: unknown): void => {
    try {
      if (!isIncoming(request)) return;
      const actor: Actor = {
        correlationId: correlationIdOf(request, correlationHeaders) ?? span.spanContext().traceId,
        clientAddress: request.socket?.remoteAddress,
        userAgent: headerValue(request.headers['user-agent']),
      };
      // enterWith: the hook runs synchronously inside the server's 'request' emit, so the
      // scope reaches the handler and everything it schedules, and no other request.
      actorStorage.enterWith(actor);
    } catch {
      // never let request bookkeeping break the request
    }
  };
}

function isIncoming(request: unknown): request is IncomingMessage {
  return typeof request === 'object' && request !== null && 'headers' in request && 'socket' in request && !('getHeader' in request);
}

function correlationIdOf(request: IncomingMessage, headers: readonly string[]): string | undefined {
  for (const h of headers) {
    const v = headerValue(request.headers[h]);
    if (v) return v.slice(0, 128);
  }
  return undefined;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** The actor fields app log lines carry (trace and span id are added by the log instrumentations). */
const LOG_LINE_FIELDS = ['id', 'tenant'] as const satisfies readonly (keyof Actor)[];

/** pino/winston log hook: app log lines carry the user and tenant next to trace and span id. */
export function addActorFields(_span: Span, record: Record<string, unknown>): void {
  try {
    const actor = getActor();
    if (actor === undefined) return;
    for (const field of LOG_LINE_FIELDS) if (actor[field] !== undefined) record[ACTOR_ATTRIBUTES[field]] = String(actor[field]);
  } catch {
    // never break a log call
  }
}
