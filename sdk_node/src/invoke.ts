// Calls the user's code for one invocation, with the argument order of each
// trigger kind (Motia's signatures). Errors propagate to the caller unchanged.

import { HANDLER_MISSING, INTERNAL, type WireError, wireError } from './errors.js';
import type { Handler, Middleware } from './loader.js';
import type { TriggerKind } from './protocol.js';

/**
 * Runs the middleware in array order, then the handler. Each middleware gets
 * `(req, ctx, next)`; it may change `req` before calling `next()`, or return
 * its own response without calling it.
 */
export function runApi(
  middleware: readonly Middleware[],
  handler: Handler,
  req: unknown,
  ctx: unknown,
): Promise<unknown> {
  const at = async (index: number): Promise<unknown> => {
    const mw = middleware[index];
    if (mw === undefined) return handler(req, ctx);
    return mw(req, ctx, () => at(index + 1));
  };
  return at(0);
}

export interface InvokeTarget {
  handler: Handler | undefined;
  middleware: readonly Middleware[];
  displayName: string;
}

const TRIGGERS: ReadonlySet<string> = new Set(['TRIGGER_KIND_API', 'TRIGGER_KIND_EVENT', 'TRIGGER_KIND_CRON']);

/**
 * Problems found before any user code runs. They carry their own code rather
 * than HANDLER_ERROR, which would blame the user's handler.
 */
export function preflight(step: InvokeTarget, trigger: TriggerKind): WireError | undefined {
  if (!step.handler) {
    return wireError(HANDLER_MISSING, `${step.displayName} has no handler (noop steps are never invoked)`);
  }
  if (!TRIGGERS.has(trigger)) return wireError(INTERNAL, `unknown trigger ${String(trigger)}`);
  return undefined;
}

/** Call only after preflight() passed. */
export async function invokeHandler(
  step: InvokeTarget,
  trigger: TriggerKind,
  payload: unknown,
  ctx: unknown,
): Promise<unknown> {
  const handler = step.handler as Handler;
  switch (trigger) {
    case 'TRIGGER_KIND_API':
      return runApi(step.middleware, handler, payload, ctx);
    case 'TRIGGER_KIND_EVENT':
      return handler(payload, ctx);
    default:
      return handler(ctx);
  }
}
