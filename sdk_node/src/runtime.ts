// The life cycle of invocations on one connection: start them concurrently,
// answer each exactly once, cancel on request, and drain before exiting.

import type * as grpc from '@grpc/grpc-js';
import type { Connection, HostHandlers } from './connection.js';
import { createContext, type ContextTransport } from './context.js';
import { CANCELLED, HANDLER_ERROR, INVALID_ARGUMENT, INVALID_RESPONSE, StepError, toWireError, wireError } from './errors.js';
import { invokeHandler, preflight } from './invoke.js';
import { decodeJson, encodeJson } from './json.js';
import type { LoadedStep } from './loader.js';
import {
  MAX_LOG_BYTES,
  PROTOCOL_VERSION,
  type Cancel,
  type Invoke,
  type InvocationResult,
  type LogLevel,
  type TriggerKind,
  type Welcome,
} from './protocol.js';
import { toApiResponse, type ResponseOutcome } from './response.js';

/** How long before a drain's deadline what still runs is cancelled (docs/protocol.md W-DRAIN-2). */
const DRAIN_MARGIN_MS = 250;

interface Running {
  controller: AbortController;
  /** Resolves when the invocation is answered: once its handler has settled. */
  answered: Promise<void>;
  markAnswered(): void;
  /** Its ctx calls still waiting for their replies (the handler may not have awaited them). */
  outstanding: Set<Promise<unknown>>;
  /** Set once the handler settled: later ctx calls (background code) fail locally. */
  settled: boolean;
}

export interface RuntimeOptions {
  /** Ends the process; injected so the runtime never calls process.exit itself. */
  exit(code: number): void;
  /** Diagnostics of the runtime itself (not of the step): stderr, which the host captures. */
  diagnose?(message: string): void;
}

/** A finished invocation's result, shaped for its trigger. */
export function toOutcome(trigger: TriggerKind, result: unknown): ResponseOutcome {
  switch (trigger) {
    case 'TRIGGER_KIND_API':
      return toApiResponse(result);
    case 'TRIGGER_KIND_CAN_ACCESS':
      return { ok: { value_json: encodeJson(Boolean(result)) } };
    case 'TRIGGER_KIND_AUTHENTICATE':
      // The auth context; undefined (nothing returned) is null, i.e. anonymous.
      try {
        return { ok: { value_json: encodeJson(result) } };
      } catch (err) {
        return { error: toWireError(INVALID_RESPONSE, err, 'authenticate returned a value JSON cannot hold') };
      }
    default:
      return { ok: {} };
  }
}

export class WorkerRuntime implements HostHandlers {
  private readonly running = new Map<string, Running>();
  private streamNames: string[] = [];
  private draining = false;
  private drainedSent = false;

  constructor(
    private readonly step: LoadedStep,
    private readonly conn: Connection,
    private readonly options: RuntimeOptions,
  ) {}

  get inFlight(): number {
    return this.running.size;
  }

  private diagnose(message: string): void {
    (this.options.diagnose ?? ((m: string) => process.stderr.write(`[stephost-node] ${m}\n`)))(message);
  }

  welcome(welcome: Welcome): void {
    // 0 is proto3's "unset"; read it as the only revision there is.
    if (welcome.protocol_version !== 0 && welcome.protocol_version !== PROTOCOL_VERSION) {
      this.diagnose(`host speaks protocol revision ${welcome.protocol_version}, this worker ${PROTOCOL_VERSION}; exiting`);
      void this.conn.end(1000).then(() => this.options.exit(1));
      return;
    }
    this.streamNames = [...welcome.stream_names];
  }

  invoke(invoke: Invoke): void {
    const id = invoke.invocation_id;
    if (this.draining) {
      this.answer(id, { error: wireError(CANCELLED, 'the worker is draining and accepts no new invocations') });
      return;
    }
    if (this.running.has(id)) {
      this.diagnose(`duplicate Invoke ${id} ignored`);
      return;
    }
    const problem = preflight(this.step, invoke.trigger);
    if (problem) {
      this.answer(id, { error: problem });
      return;
    }
    let payload: unknown;
    try {
      payload = decodeJson(invoke.payload_json);
    } catch (err) {
      this.answer(id, { error: toWireError(INVALID_ARGUMENT, err, 'the Invoke payload is not valid JSON') });
      return;
    }

    let markAnswered!: () => void;
    const answered = new Promise<void>((resolve) => {
      markAnswered = resolve;
    });
    const run: Running = { controller: new AbortController(), answered, markAnswered, outstanding: new Set(), settled: false };
    this.running.set(id, run);

    const ctx = createContext(
      { traceId: invoke.trace_id, flows: [...invoke.flows], attempt: invoke.attempt || 1, eventId: invoke.event_id },
      this.transport(id, run),
      this.streamNames,
      run.controller.signal,
    );
    void this.execute(id, invoke, payload, ctx, run);
  }

  private async execute(id: string, invoke: Invoke, payload: unknown, ctx: unknown, run: Running): Promise<void> {
    let outcome: ResponseOutcome;
    try {
      const result = await invokeHandler(this.step, invoke.trigger, payload, ctx);
      outcome = toOutcome(invoke.trigger, result);
    } catch (err) {
      // A refused ctx call left uncaught is still the handler's failure, but
      // its code (EMIT_NOT_DECLARED, ...) is kept visible in the message.
      outcome = { error: toWireError(HANDLER_ERROR, err, err instanceof StepError ? err.code : undefined) };
    }
    run.settled = true;
    // ctx calls the handler started without awaiting them: the result waits for their replies,
    // or the host, reading the result first, would refuse them and an emit would be lost
    // (docs/protocol.md W-INV-5). Their failures are the handler's to ignore.
    while (run.outstanding.size > 0) await Promise.allSettled([...run.outstanding]);
    // Cancelled: the answer is CANCELLED, sent only now that the handler has settled, so a
    // handler that ignores its AbortSignal keeps the invocation open and the host's grace
    // kill applies to it (JS cannot stop a running promise; only the process can go).
    if (run.controller.signal.aborted) {
      const reason = run.controller.signal.reason instanceof StepError ? run.controller.signal.reason.message : '';
      outcome = { error: wireError(CANCELLED, reason || 'cancelled by the host', 'CancelledError') };
    }
    // Answered already when the drain deadline gave up on it (abandonAtDeadline).
    if (this.running.get(id) !== run) return;
    this.running.delete(id);
    this.answer(id, outcome);
    run.markAnswered();
  }

  /**
   * At the drain deadline, the invocations whose handlers ignored their cancellation are
   * answered CANCELLED without waiting any longer: the worker sends Drained and exits, and
   * its exit is what stops them (docs/protocol.md W-CANCEL-6).
   */
  private abandonAtDeadline(): void {
    for (const [id, run] of [...this.running]) {
      this.running.delete(id);
      this.answer(id, {
        error: wireError(CANCELLED, 'the drain deadline passed; the handler ends with the worker', 'CancelledError'),
      });
      run.markAnswered();
    }
  }

  private transport(id: string, run: Running): ContextTransport {
    return {
      call: (op) => {
        if (run.controller.signal.aborted) return Promise.reject(new StepError(CANCELLED, 'the invocation was cancelled'));
        if (run.settled) {
          return Promise.reject(new StepError(CANCELLED, 'the invocation already ended: its handler has returned'));
        }
        const call = this.conn.call(id, op);
        run.outstanding.add(call);
        // allSettled in execute() observes rejections; this keeps an unawaited one from being "unhandled"
        call.then(
          () => run.outstanding.delete(call),
          () => run.outstanding.delete(call),
        );
        return call;
      },
      log: (level: LogLevel, msg: string, fieldsJson: string) => this.log(id, level, msg, fieldsJson),
    };
  }

  /** Also used for records outside any invocation (id ''), e.g. unhandled rejections. */
  log(invocationId: string, level: LogLevel, msg: string, fieldsJson: string): void {
    const record = {
      invocation_id: invocationId,
      level,
      msg,
      fields_json: Buffer.from(fieldsJson, 'utf8'),
      time_unix_ms: Date.now(),
    };
    if (this.conn.fits({ log: record }, Math.min(MAX_LOG_BYTES, this.conn.maxMessageBytes))) {
      this.conn.send({ log: record });
      return;
    }
    // A log record must never fail the handler; an oversized one is cut instead.
    const note = JSON.stringify({ truncated: true, fieldsBytes: record.fields_json.length, msgChars: msg.length });
    this.conn.send({ log: { ...record, msg: msg.slice(0, 4096), fields_json: Buffer.from(note, 'utf8') } });
  }

  private answer(id: string, outcome: ResponseOutcome): void {
    let result: InvocationResult = { invocation_id: id, ...outcome } as InvocationResult;
    if (!this.conn.fits({ result })) {
      result = {
        invocation_id: id,
        error: wireError(INVALID_RESPONSE, `the result is larger than the host's limit of ${this.conn.maxMessageBytes} bytes`),
      };
    }
    this.conn.send({ result });
  }

  cancel(cancel: Cancel): void {
    this.cancelRun(cancel.invocation_id, cancel.reason || 'cancelled by the host');
  }

  private cancelRun(id: string, reason: string): void {
    const run = this.running.get(id);
    // Already answered, or already cancelled: the host does not wait for another reply.
    if (!run || run.controller.signal.aborted) return;
    // Aborting makes the handler's further ctx calls fail fast and rejects the ones it
    // waits on; execute() answers CANCELLED once the handler has settled.
    run.controller.abort(new StepError(CANCELLED, reason));
    this.conn.rejectCallsOf(id, new StepError(CANCELLED, `the invocation was cancelled: ${reason}`));
  }

  drain(deadlineUnixMs = 0): void {
    if (this.draining) return;
    this.draining = true;
    if (deadlineUnixMs > 0) {
      // What still runs shortly before the deadline is cancelled, so that its CANCELLED
      // result and Drained reach the host before it kills the worker (docs/protocol.md W-DRAIN-2).
      const timer = setTimeout(() => {
        for (const id of [...this.running.keys()]) this.cancelRun(id, 'the worker is draining and its deadline passed');
        // Half the margin for the handlers to stop; what still runs then is not waited for.
        setTimeout(() => this.abandonAtDeadline(), DRAIN_MARGIN_MS / 2).unref();
      }, Math.max(0, deadlineUnixMs - Date.now() - DRAIN_MARGIN_MS));
      timer.unref();
    }
    void (async () => {
      await Promise.all([...this.running.values()].map((run) => run.answered));
      this.drainedSent = true;
      this.conn.send({ drained: {} });
      await this.conn.end();
      this.options.exit(0);
    })();
  }

  closed(error: grpc.ServiceError | undefined): void {
    // After Drained, drain() owns the exit. Before it, results can no longer be
    // delivered, so waiting for in-flight handlers would only risk hanging.
    if (this.drainedSent) return;
    for (const run of this.running.values()) run.controller.abort(new StepError(CANCELLED, 'connection closed'));
    this.running.clear();
    if (error) this.diagnose(`the connection to the host failed: ${error.message}`);
    this.options.exit(error ? 1 : 0);
  }
}
