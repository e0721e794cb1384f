// The worker's one bidirectional stream: ordered sending with backpressure,
// CtxCall/CtxReply correlation by call_id, and Ping answered right here, so
// liveness never waits for a handler or for the runtime.

import * as grpc from '@grpc/grpc-js';
import { INTERNAL, INVALID_ARGUMENT, StepError } from './errors.js';
import { decodeJson } from './json.js';
import {
  BATCH_CAPABILITY,
  BATCH_MAX_BYTES,
  BATCH_MAX_MESSAGES,
  MAX_MESSAGE_BYTES,
  type Cancel,
  type CtxOp,
  type CtxReply,
  type HostMessage,
  type Invoke,
  type Welcome,
  type WorkerMessage,
} from './protocol.js';

export type WorkerStream = grpc.ClientDuplexStream<WorkerMessage, HostMessage>;

export interface HostHandlers {
  welcome(welcome: Welcome): void;
  invoke(invoke: Invoke): void;
  cancel(cancel: Cancel): void;
  drain(deadlineUnixMs: number): void;
  /** The stream is over (host closed it, or it failed). `error` is unset for status OK. */
  closed(error: grpc.ServiceError | undefined): void;
}

interface PendingCall {
  invocationId: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** Cheap lower bound of a message's encoded size: the bytes and strings it carries. */
function roughSize(value: unknown, depth = 0): number {
  if (typeof value === 'string') return value.length;
  if (Buffer.isBuffer(value)) return value.length;
  if (value === null || typeof value !== 'object' || depth > 6) return 8;
  let total = 0;
  for (const item of Object.values(value)) total += roughSize(item, depth + 1);
  return total;
}

export class Connection {
  /** The largest message the host accepts; lowered by Welcome.max_message_bytes. */
  maxMessageBytes = MAX_MESSAGE_BYTES;

  private readonly queue: WorkerMessage[] = [];
  /** The host reads WorkerBatch (its Welcome said so): messages of one turn go out as one. */
  private batches = false;
  private readonly outgoing: WorkerMessage[] = [];
  private flushScheduled = false;
  private blocked = false;
  private writing = true;
  private closed = false;
  private nextCallId = 1;
  private readonly pending = new Map<string, PendingCall>();
  private readonly finished: Promise<void>;
  private markFinished!: () => void;
  private lastError: grpc.ServiceError | undefined;
  private closedWith: { error: grpc.ServiceError | undefined } | undefined;
  private handlers: HostHandlers | undefined;

  constructor(
    private readonly stream: WorkerStream,
    private readonly encode: (message: WorkerMessage) => Buffer,
  ) {
    this.finished = new Promise((resolve) => {
      this.markFinished = resolve;
    });
    this.watch();
  }

  /** Starts reading. Messages wait in the stream until a 'data' listener exists. */
  start(handlers: HostHandlers): void {
    this.handlers = handlers;
    this.stream.on('data', (message: HostMessage) => this.dispatch(message, handlers));
    // The stream may have ended while the step was loading.
    if (this.closedWith) {
      const { error } = this.closedWith;
      queueMicrotask(() => handlers.closed(error));
    }
  }

  /**
   * Listeners for the end of the stream exist from the start: a refusal (wrong
   * secret) can arrive while the step is still loading, and an 'error' event
   * with no listener would crash the process instead of being reported.
   */
  private watch(): void {
    // grpc-js emits 'error' for a non-OK status, then 'status' for every end.
    this.stream.on('error', (error: grpc.ServiceError) => {
      this.lastError = error;
    });
    this.stream.on('status', (status: grpc.StatusObject) => {
      this.closed = true;
      this.writing = false;
      const error =
        status.code === grpc.status.OK
          ? undefined
          : (this.lastError ?? (Object.assign(new Error(status.details), status) as grpc.ServiceError));
      const reason = new StepError(INTERNAL, `the connection to the host closed${error ? `: ${error.message}` : ''}`);
      for (const call of this.pending.values()) call.reject(reason);
      this.pending.clear();
      this.closedWith = { error };
      this.markFinished();
      this.handlers?.closed(error);
    });
    this.stream.on('drain', () => this.flush());
  }

  get isOpen(): boolean {
    return this.writing;
  }

  /** True when `message` is within the host's limit; encodes only when it might not be. */
  fits(message: WorkerMessage, limit = this.maxMessageBytes): boolean {
    if (roughSize(message) < limit / 2) return true;
    return this.encode(message).length <= limit;
  }

  /**
   * Queues `message` in order. `urgent` messages (Pong) jump the queue so a
   * large backlog of results cannot make the host think the worker hung.
   */
  send(message: WorkerMessage, urgent = false): void {
    if (!this.writing) return;
    if (this.batches) {
      // Collected until the event loop's next turn, then written as few batches: one
      // gRPC message per turn instead of one per result, call and log.
      if (urgent) this.outgoing.unshift(message);
      else this.outgoing.push(message);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flushOutgoing());
      }
      return;
    }
    this.enqueue(message, urgent);
  }

  private flushOutgoing(): void {
    this.flushScheduled = false;
    const messages = this.outgoing.splice(0);
    let start = 0;
    while (start < messages.length) {
      let end = start + 1;
      let size = roughSize(messages[start]);
      while (end < messages.length && end - start < BATCH_MAX_MESSAGES && size < BATCH_MAX_BYTES) {
        size += roughSize(messages[end]);
        end += 1;
      }
      const chunk = messages.slice(start, end);
      this.enqueue(chunk.length === 1 ? (chunk[0] as WorkerMessage) : { batch: { messages: chunk } });
      start = end;
    }
  }

  private enqueue(message: WorkerMessage, urgent = false): void {
    if (this.blocked) {
      if (urgent) this.queue.unshift(message);
      else this.queue.push(message);
      return;
    }
    this.write(message);
  }

  private write(message: WorkerMessage): void {
    if (!this.stream.write(message)) this.blocked = true;
  }

  private flush(): void {
    this.blocked = false;
    while (!this.blocked && this.queue.length > 0) {
      this.write(this.queue.shift() as WorkerMessage);
    }
  }

  /** One ctx call for `invocationId`; settles with its CtxReply. */
  call(invocationId: string, op: CtxOp): Promise<unknown> {
    if (!this.writing) {
      return Promise.reject(new StepError(INTERNAL, 'the connection to the host is closed'));
    }
    const callId = String(this.nextCallId++);
    const message: WorkerMessage = { call: { call_id: callId, invocation_id: invocationId, ...op } };
    if (!this.fits(message)) {
      return Promise.reject(
        new StepError(INVALID_ARGUMENT, `the ctx call is larger than the host's limit of ${this.maxMessageBytes} bytes`),
      );
    }
    return new Promise((resolve, reject) => {
      this.pending.set(callId, { invocationId, resolve, reject });
      this.send(message);
    });
  }

  /** Fails every call still waiting for `invocationId` (after Cancel). Late replies are then ignored. */
  rejectCallsOf(invocationId: string, error: Error): void {
    for (const [callId, call] of this.pending) {
      if (call.invocationId === invocationId) {
        this.pending.delete(callId);
        call.reject(error);
      }
    }
  }

  private reply(reply: CtxReply): void {
    const callId = String(reply.call_id);
    const call = this.pending.get(callId);
    if (!call) return; // cancelled invocation, or a host bug: nobody is waiting
    this.pending.delete(callId);
    if (reply.outcome === 'error' && reply.error) {
      call.reject(new StepError(reply.error.code || INTERNAL, reply.error.message));
      return;
    }
    try {
      call.resolve(decodeJson(reply.value_json));
    } catch (err) {
      call.reject(new StepError(INTERNAL, `the host replied with invalid JSON: ${(err as Error).message}`));
    }
  }

  private dispatch(message: HostMessage, handlers: HostHandlers): void {
    switch (message.kind) {
      case 'ping':
        this.send({ pong: { seq: message.ping.seq } }, true);
        return;
      case 'reply':
        this.reply(message.reply);
        return;
      case 'welcome':
        if (message.welcome.max_message_bytes > 0) this.maxMessageBytes = message.welcome.max_message_bytes;
        this.batches = message.welcome.capabilities?.[BATCH_CAPABILITY] === '1';
        handlers.welcome(message.welcome);
        return;
      case 'invoke':
        handlers.invoke(message.invoke);
        return;
      case 'cancel':
        handlers.cancel(message.cancel);
        return;
      case 'drain':
        handlers.drain(Number(message.drain.deadline_unix_ms) || 0);
        return;
      case 'batch':
        // Its messages, in order, as if each had come alone.
        for (const inner of message.batch.messages) this.dispatch(inner, handlers);
        return;
      default:
        // A newer host may send kinds this revision does not know; ignoring them is safe.
        return;
    }
  }

  /**
   * Half-closes the stream once the queue is written, then waits for the host to
   * end its side (or `timeoutMs`), so the last messages are not lost to an exit.
   */
  async end(timeoutMs = 5000): Promise<void> {
    if (this.writing) {
      this.flushOutgoing();
      this.writing = false;
      if (this.blocked) {
        await Promise.race([new Promise<void>((resolve) => this.stream.once('drain', () => resolve())), this.finished]);
      }
      this.flushAll();
      this.stream.end();
    }
    if (this.closed) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.finished,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /** Writes everything still queued, ignoring backpressure: the stream is about to end. */
  private flushAll(): void {
    while (this.queue.length > 0) this.stream.write(this.queue.shift() as WorkerMessage);
  }
}
