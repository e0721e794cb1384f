// Calls the user's code for one invocation, with the argument order of each
// trigger kind (Motia's signatures). Errors propagate to the caller unchanged.

import { HANDLER_MISSING, INTERNAL, type WireError, wireError } from './errors.js';
import type { FileKind, Handler, Middleware } from './loader.js';
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
  /** Absent means 'step'. */
  kind?: FileKind;
  canAccess?: Handler | undefined;
  authenticate?: Handler | undefined;
}

const HANDLER_TRIGGERS: ReadonlySet<string> = new Set(['TRIGGER_KIND_API', 'TRIGGER_KIND_EVENT', 'TRIGGER_KIND_CRON']);

function describeKind(kind: FileKind | undefined): string {
  if (kind === 'stream') return 'a stream file';
  if (kind === 'streamAuth') return 'the stream auth file';
  return 'a step';
}

/**
 * Problems found before any user code runs. They carry their own code rather
 * than HANDLER_ERROR, which would blame the user's handler.
 */
export function preflight(step: InvokeTarget, trigger: TriggerKind): WireError | undefined {
  const kind = step.kind ?? 'step';
  if (trigger === 'TRIGGER_KIND_CAN_ACCESS') {
    // A stream without canAccess is open to everyone: answered `true`, not refused.
    if (kind !== 'stream') {
      return wireError(INTERNAL, `${step.displayName} is ${describeKind(kind)}; only stream files answer CAN_ACCESS`);
    }
    return undefined;
  }
  if (trigger === 'TRIGGER_KIND_AUTHENTICATE') {
    if (kind !== 'streamAuth') {
      const what = `${step.displayName} is ${describeKind(kind)}`;
      return wireError(INTERNAL, `${what}; only the stream auth file (motia.config) answers AUTHENTICATE`);
    }
    if (!step.authenticate) return wireError(HANDLER_MISSING, `${step.displayName} has no streamAuth.authenticate`);
    return undefined;
  }
  if (!HANDLER_TRIGGERS.has(trigger)) return wireError(INTERNAL, `unknown trigger ${String(trigger)}`);
  if (!step.handler) {
    const why = kind === 'step' ? 'noop steps are never invoked' : `${describeKind(kind)} has no handler`;
    return wireError(HANDLER_MISSING, `${step.displayName} has no handler (${why})`);
  }
  return undefined;
}

function field(payload: unknown, key: string): unknown {
  return payload !== null && typeof payload === 'object' ? (payload as Record<string, unknown>)[key] : undefined;
}

/**
 * Call only after preflight() passed. CAN_ACCESS resolves to a boolean (Motia
 * coerces canAccess's result the same way; no canAccess allows everyone);
 * AUTHENTICATE to authenticate's result as returned.
 */
export async function invokeHandler(
  step: InvokeTarget,
  trigger: TriggerKind,
  payload: unknown,
  ctx: unknown,
): Promise<unknown> {
  switch (trigger) {
    case 'TRIGGER_KIND_CAN_ACCESS':
      if (!step.canAccess) return true;
      return Boolean(await step.canAccess(field(payload, 'subscription'), field(payload, 'authContext')));
    case 'TRIGGER_KIND_AUTHENTICATE':
      return (step.authenticate as Handler)(payload);
    case 'TRIGGER_KIND_API':
      return runApi(step.middleware, step.handler as Handler, payload, ctx);
    case 'TRIGGER_KIND_EVENT':
      return (step.handler as Handler)(payload, ctx);
    default:
      return (step.handler as Handler)(ctx);
  }
}
