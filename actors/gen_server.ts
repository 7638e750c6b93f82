/**
 * Request/reply between processes, after Erlang's gen_server: `call` sends a request tagged with a
 * fresh monitor and waits (selectively, on that tag) for the reply, the server's DOWN, or the
 * timeout; `cast` is a plain send. `genServer` is the server loop that calls back into a state
 * machine. Supervisors speak the same call protocol, which is why it lives here on its own.
 */
import {
  ActorError,
  type DownMessage,
  demonitor,
  type ExitReason,
  exit,
  isDown,
  monitor,
  type Pid,
  type ProcessBody,
  type Ref,
  receive,
  type Suspend,
  self,
  send,
  TIMEOUT,
  whereis,
} from './runtime.ts';

/** Who asked: where to send the reply, and the tag to send it with. */
export interface From {
  readonly pid: Pid;
  readonly ref: Ref;
}

export interface CallMessage {
  readonly type: '$call';
  readonly from: From;
  readonly request: unknown;
}

export interface CastMessage {
  readonly type: '$cast';
  readonly request: unknown;
}

interface ReplyMessage {
  readonly type: '$reply';
  readonly ref: Ref;
  readonly reply: unknown;
}

/** Why a call failed: `timeout`, `noproc` (no such server), `calling_self`, or the server's exit reason. */
export class CallError extends ActorError {
  readonly exitReason: ExitReason;
  constructor(reason: 'timeout' | 'noproc' | 'calling_self' | 'exit', exitReason: ExitReason, message: string) {
    super(reason, message);
    this.exitReason = exitReason;
  }
}

export function isCall(message: unknown): message is CallMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === '$call';
}

export function isCast(message: unknown): message is CastMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === '$cast';
}

/**
 * Sends `request` and waits up to `timeout` ms (default 5000, `Infinity` for ever) for the reply.
 * Throws `CallError` on timeout, when the server is not alive, or when it dies before replying;
 * uncaught, that becomes the caller's exit reason, as in Erlang. A reply that arrives after a
 * timeout is left in the caller's mailbox (Erlang before process aliases does the same).
 */
export function* call<R = unknown>(
  server: Pid | string,
  request: unknown,
  timeout = 5000,
): Generator<Suspend, R, unknown> {
  const pid = typeof server === 'string' ? whereis(server) : server;
  if (pid === undefined) throw new CallError('noproc', 'noproc', `call: no process is registered as ${server}`);
  const me = self();
  if (pid === me) throw new CallError('calling_self', 'calling_self', 'call: a process cannot call itself');
  const ref = monitor(pid);
  send(pid, { type: '$call', from: { pid: me, ref }, request });
  const answer = yield* receive(
    (m: unknown): m is ReplyMessage | DownMessage =>
      (isDown(m) || (m as { type?: unknown }).type === '$reply') && (m as { ref: Ref }).ref === ref,
    { after: timeout },
  );
  if (answer === TIMEOUT) {
    demonitor(ref, { flush: true });
    throw new CallError('timeout', 'timeout', `call to ${server} timed out after ${timeout} ms`);
  }
  if (answer.type === 'DOWN') {
    if (answer.reason === 'noproc') throw new CallError('noproc', 'noproc', `call: ${server} is not alive`);
    throw new CallError('exit', answer.reason, `call: ${server} exited before replying`);
  }
  demonitor(ref, { flush: true });
  return answer.reply as R;
}

/** Sends `request` without waiting; never fails, even when the server does not exist. */
export function cast(server: Pid | string, request: unknown): void {
  const pid = typeof server === 'string' ? whereis(server) : server;
  if (pid !== undefined) send(pid, { type: '$cast', request });
}

/** Answers a call, from the server or from whoever it handed `from` to. */
export function reply(from: From, value: unknown): void {
  send(from.pid, { type: '$reply', ref: from.ref, reply: value });
}

/** What `handleCall` decides: answer now, or later through `reply(from, …)`; `stop` ends the server. */
export type CallResult<S> =
  | { readonly reply: unknown; readonly state: S; readonly stop?: ExitReason }
  | { readonly noreply: true; readonly state: S; readonly stop?: ExitReason };

/** A server's callbacks. Each takes the state and returns the next one. */
export interface GenServerCallbacks<S> {
  init(): S;
  handleCall?(request: unknown, from: From, state: S): CallResult<S>;
  handleCast?(request: unknown, state: S): S;
  handleInfo?(message: unknown, state: S): S;
}

/** The server loop. It does not trap exits (a linked crash takes it down), as in Erlang. */
export function* genServer<S>(callbacks: GenServerCallbacks<S>): ProcessBody {
  let state = callbacks.init();
  for (;;) {
    const message = yield* receive();
    if (isCall(message)) {
      if (!callbacks.handleCall) throw new ActorError('badarg', 'this server takes no calls');
      const result = callbacks.handleCall(message.request, message.from, state);
      state = result.state;
      if ('reply' in result) reply(message.from, result.reply);
      if (result.stop !== undefined) exit(result.stop);
    } else if (isCast(message)) {
      if (callbacks.handleCast) state = callbacks.handleCast(message.request, state);
    } else if (callbacks.handleInfo) {
      state = callbacks.handleInfo(message, state);
    }
  }
}
