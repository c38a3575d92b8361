// `node --require @domain-otel/node/register app.js`
import { isMainThread, workerData } from 'node:worker_threads';
import { start } from './sdk';

// Not inside the distribution's own export thread, should a preload be inherited by it.
if (isMainThread || (workerData as { domainOtelExportThread?: unknown } | undefined)?.domainOtelExportThread !== true) start({ startedBy: 'require' });
