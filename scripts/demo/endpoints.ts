// Where the demo finds the stack's services: the port table `npm run stack` starts them on
// (scripts/stack.ts, docs/architecture.md), all on 127.0.0.1.
import { STACK_PORTS } from '../stack';

const ports = STACK_PORTS();
const at = (port: number) => `http://127.0.0.1:${port}`;

export const ENDPOINTS = {
  /** OTLP/HTTP into the collector. */
  collector: at(ports.collectorHttp),
  /** Jaeger's query API and UI. */
  jaeger: at(ports.jaegerQuery),
  /** The collector's Prometheus exporter. */
  prometheusExporter: at(ports.prometheus),
  loki: at(ports.lokiHttp),
  viewer: at(ports.viewer),
};
