import {
  detectResources, envDetector, hostDetector, osDetector, processDetector, resourceFromAttributes,
  serviceInstanceIdDetector, defaultResource,
} from '@opentelemetry/resources';
import type { Resource, ResourceDetector } from '@opentelemetry/resources';
import { ATTR_TELEMETRY_DISTRO_NAME, ATTR_TELEMETRY_DISTRO_VERSION } from '@domain-otel/semantic-conventions';
import type { DistroConfig } from './config/load';
import { DISTRO_NAME, DISTRO_VERSION } from './version';

/** Local detectors only: no cloud metadata endpoint is ever probed. */
function detectorsFor(names: DistroConfig['resourceDetectors']): ResourceDetector[] {
  if (names.includes('none')) return [];
  const all = names.includes('all');
  const pick = (name: string, d: ResourceDetector | undefined) => (all || names.includes(name as never) ? d : undefined);
  return [
    pick('env', envDetector),
    pick('host', hostDetector),
    pick('os', osDetector),
    pick('process', processDetector),
    pick('serviceinstance', serviceInstanceIdDetector),
    pick('container', containerDetector()),
  ].filter((d): d is ResourceDetector => d !== undefined);
}

function containerDetector(): ResourceDetector | undefined {
  try {
    return (require('@opentelemetry/resource-detector-container') as typeof import('@opentelemetry/resource-detector-container')).containerDetector;
  } catch {
    return undefined;
  }
}

export function buildResource(config: DistroConfig): Resource {
  // OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME come from our validated config, not from
  // envDetector, so a malformed value is reported once and does not half-apply.
  const all = detectorsFor(config.resourceDetectors);
  const useEnv = all.includes(envDetector);
  const fromEnv: Record<string, string> = useEnv ? { ...config.resourceAttributes } : {};
  const serviceName = config.serviceName ?? fromEnv['service.name'] ?? appPackageName();
  if (serviceName !== undefined) fromEnv['service.name'] = serviceName;
  return defaultResource()
    .merge(detectResources({ detectors: all.filter((d) => d !== envDetector) }))
    .merge(resourceFromAttributes(fromEnv))
    .merge(resourceFromAttributes({
      [ATTR_TELEMETRY_DISTRO_NAME]: DISTRO_NAME,
      [ATTR_TELEMETRY_DISTRO_VERSION]: DISTRO_VERSION,
    }));
}

/** The app's own package.json name, found from the entry script upwards. */
function appPackageName(): string | undefined {
  try {
    const fs = require('node:fs') as typeof import('node:fs');
    const path = require('node:path') as typeof import('node:path');
    let dir = process.argv[1] ? path.dirname(path.resolve(process.argv[1])) : process.cwd();
    for (let i = 0; i < 20; i++) {
      const file = path.join(dir, 'package.json');
      if (fs.existsSync(file)) {
        const name = (JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: unknown }).name;
        return typeof name === 'string' && name !== '' ? name : undefined;
      }
      const parent = path.dirname(dir);
      if (parent === dir) return undefined;
      dir = parent;
    }
  } catch {
    // unreadable package.json: fall back to the SDK default
  }
  return undefined;
}
