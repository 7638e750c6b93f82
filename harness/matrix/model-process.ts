/**
 * The probe's side of a model process (`worker.ts`): start it, call child functions in it, abort
 * them, and stop it. A call's signal, when aborted, sends the abort across; the child function
 * decides what cancelling means for it (usually: abort the model's signal and report when).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildFunction, FromWorker, ToWorker } from './child.ts';

const workerFile = fileURLToPath(new URL('./worker.ts', import.meta.url));

export class ModelProcess {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  readonly #exited: Promise<void>;
  #nextId = 1;
  #stderr = '';

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      // The tail is what explains a crash; the rest would only grow.
      this.#stderr = (this.#stderr + text).slice(-4000);
    });
    child.on('message', (message: FromWorker) => {
      if (message.kind === 'ready') return;
      const waiter = this.#waiting.get(message.id);
      this.#waiting.delete(message.id);
      if (message.kind === 'result') waiter?.resolve(message.value);
      else waiter?.reject(new Error(message.message));
    });
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        const why = new Error(`the model process ended (${signal ?? `exit ${code}`}) ${this.#stderr.trim()}`.trim());
        for (const waiter of this.#waiting.values()) waiter.reject(why);
        this.#waiting.clear();
        resolve();
      });
    });
  }

  /** Starts the process for the registered model `name` (or the `model` a fixture module at `face` exports). */
  static async start(name: string, face?: string): Promise<ModelProcess> {
    const child = fork(workerFile, face === undefined ? [name] : [name, face], {
      cwd: fileURLToPath(new URL('../../', import.meta.url)),
      execArgv: ['--import', 'tsx', '--expose-gc'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const process = new ModelProcess(child);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: FromWorker) => {
        if (message.kind !== 'ready') return;
        child.off('message', onMessage);
        resolve();
      };
      child.on('message', onMessage);
      void process.#exited.then(() =>
        reject(new Error(`the model process for ${name} did not start: ${process.#stderr}`)),
      );
    });
    return process;
  }

  /** Runs `fn` in the model process; aborting `signal` tells it to cancel. */
  call<A, R>(fn: ChildFunction<A, R>, args: A, signal?: AbortSignal): Promise<R> {
    const id = this.#nextId++;
    const result = new Promise<R>((resolve, reject) => {
      this.#waiting.set(id, { resolve: (value) => resolve(value as R), reject });
    });
    this.#send({ kind: 'call', id, module: fn.module, name: fn.name, args });
    if (signal) {
      const abort = () => this.#send({ kind: 'abort', id });
      if (signal.aborted) abort();
      else signal.addEventListener('abort', abort, { once: true });
      void result.finally(() => signal.removeEventListener('abort', abort)).catch(() => {});
    }
    return result;
  }

  /** Ends the process: it exits when its channel closes, and is killed if it has not within a second. */
  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      if (this.#child.connected) this.#child.disconnect();
      const killer = setTimeout(() => this.#child.kill('SIGKILL'), 1000);
      await this.#exited;
      clearTimeout(killer);
    }
  }

  #send(message: ToWorker): void {
    if (this.#child.connected) this.#child.send(message);
  }
}
