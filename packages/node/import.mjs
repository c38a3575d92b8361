// `node --import @domain-otel/node/import app.mjs`: registers the ESM loader hooks, then starts.
import { register } from 'node:module';
import { createRequire } from 'node:module';
import { isMainThread, workerData } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const state = globalThis[Symbol.for('@domain-otel/node.state')];
const disabled = /^\s*true\s*$/i.test(process.env.OTEL_SDK_DISABLED ?? '');

// Not inside the distribution's own export thread, should a preload be inherited by it.
const exportThread = !isMainThread && workerData?.domainOtelExportThread === true;

if (exportThread) {
  // nothing to start here
} else if (state === undefined && !disabled) {
  const { createAddHookMessageChannel } = require('import-in-the-middle');
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);
  require('./dist/sdk.js').start({ startedBy: 'import' });
  await waitForAllMessagesAcknowledged();
} else {
  // Already started (--require too) or disabled: start() reports the double load itself.
  require('./dist/sdk.js').start({ startedBy: 'import' });
}
