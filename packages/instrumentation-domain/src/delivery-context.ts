import { createContextKey } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import type { DeliveryTicket } from '@domain-otel/api';

/**
 * Strict delivery: the audit record's DeliveryTicket travels with the record in the
 * OpenTelemetry context it is emitted in, so the distribution's audit processor receives it
 * in `onEmit(record, context)` with no lookup by uid.
 */
const DELIVERY_TICKET = createContextKey('@domain-otel/instrumentation-domain.delivery-ticket');

export function withDeliveryTicket(ctx: Context, ticket: DeliveryTicket): Context {
  return ctx.setValue(DELIVERY_TICKET, ticket);
}

export function deliveryTicketOf(ctx: Context | undefined): DeliveryTicket | undefined {
  return ctx?.getValue(DELIVERY_TICKET) as DeliveryTicket | undefined;
}
