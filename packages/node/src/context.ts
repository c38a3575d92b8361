import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

/**
 * The OTel context manager plus the AsyncLocalStorage behind it. The domain mapping binds
 * that storage to the api's TracingChannels (`start.bindStore`), which is how work done
 * inside traceMutation() becomes the mutation span's child on every Node version
 * (Node 26 enters stores through `withScope`, which only a real AsyncLocalStorage has).
 */
export function createContextManager(): { manager: AsyncLocalStorageContextManager; storage: AsyncLocalStorage<Context> | undefined } {
  const manager = new AsyncLocalStorageContextManager();
  // The field is private in the typings of @opentelemetry/context-async-hooks 3.0 (pinned);
  // the preload tests fail if a new version renames it.
  const storage = (manager as unknown as { _asyncLocalStorage?: unknown })._asyncLocalStorage;
  return { manager, storage: storage instanceof AsyncLocalStorage ? (storage as AsyncLocalStorage<Context>) : undefined };
}
