import { metrics } from '@opentelemetry/api';
import type { Counter } from '@opentelemetry/api';
import { ATTR_DOMAIN_TELEMETRY_DROP_REASON, ATTR_DOMAIN_TELEMETRY_SIGNAL, METRIC_DOMAIN_TELEMETRY_DROPPED } from '@domain-otel/semantic-conventions';
import { reportOnce } from '../diag';
import { DISTRO_NAME, DISTRO_VERSION } from '../version';

/** Counts records a pipeline lost, in `domain.telemetry.dropped`, and says so once per signal and reason. */
export type CountDropped = (signal: string, reason: string, count: number) => void;

export function dropCounter(): CountDropped {
  let dropped: Counter | undefined;
  return (signal, reason, count) => {
    try {
      // created on the first drop, not here: a meter taken before the meter provider is registered stays a no-op
      dropped ??= metrics.getMeter(DISTRO_NAME, DISTRO_VERSION).createCounter(METRIC_DOMAIN_TELEMETRY_DROPPED, {
        description: 'Telemetry records domain-otel failed to deliver',
      });
      dropped.add(count, { [ATTR_DOMAIN_TELEMETRY_SIGNAL]: signal, [ATTR_DOMAIN_TELEMETRY_DROP_REASON]: reason });
    } catch {
      // metrics unavailable: the diag line below still reports it
    }
    reportOnce(`dropped:${signal}:${reason}`, `domain-otel: ${count} ${signal} record(s) dropped (${reason}); further drops are counted in ${METRIC_DOMAIN_TELEMETRY_DROPPED}`);
  };
}
