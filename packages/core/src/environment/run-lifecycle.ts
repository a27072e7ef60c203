import { describeError, type Logger } from '../logging/logger.js';

export type LifecycleHook = () => void | Promise<void>;

export interface LifecycleHooks {
  onStart?: LifecycleHook | undefined;
  onExit?: LifecycleHook | undefined;
  /** Logs "Unexpected error raised during flow run: …" before the error propagates (omit to stay silent, as LocalEnvironment does). */
  logger?: Logger | undefined;
}

/**
 * The hook order of every environment that runs a flow (Prefect 0.11, spec 1.6):
 * 1. onStart runs first, outside the protected block: if it throws, nothing runs and onExit is not called.
 * 2. The body runs.
 * 3. onExit runs on success and on failure; a body error is logged, then re-thrown after onExit.
 *    An error thrown by onExit itself replaces the body's error (the body's was already logged).
 * A flow run that ends in a Failed state is a result, not an error: onExit runs and the result is returned.
 */
export async function runWithLifecycle<T>(hooks: LifecycleHooks, body: () => Promise<T>): Promise<T> {
  if (hooks.onStart) await hooks.onStart();
  try {
    return await body();
  } catch (error) {
    hooks.logger?.error(`Unexpected error raised during flow run: ${describeError(error)}`);
    throw error;
  } finally {
    if (hooks.onExit) await hooks.onExit();
  }
}
