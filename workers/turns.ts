/**
 * Work that holds the thread, one piece per turn of the event loop.
 *
 * Node runs every I/O callback that is ready in one poll phase back to back. Fifty poems that finish
 * in the same turn, each analysed as it finishes, would hold the loop for fifty analyses while a
 * slow server's chunk waits unread. Queued here instead, one job runs per turn (chained
 * `setImmediate`: the check phase after each poll), so whatever arrived meanwhile is read between
 * two jobs and waits for one job at most.
 */
export class TurnQueue {
  readonly #jobs: (() => void)[] = [];
  #head = 0;
  #scheduled: NodeJS.Immediate | undefined;

  /** Runs `job` in a turn of its own, after every job queued before it. */
  push(job: () => void): void {
    this.#jobs.push(job);
    this.#scheduled ??= setImmediate(() => this.#runOne());
  }

  /** How many jobs are still waiting for their turn. */
  get waiting(): number {
    return this.#jobs.length - this.#head;
  }

  /** Drops every job still waiting and stops the chain: nothing is left scheduled. */
  clear(): void {
    if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    this.#jobs.length = 0;
    this.#head = 0;
  }

  #runOne(): void {
    this.#scheduled = undefined;
    const job = this.#jobs[this.#head];
    if (job === undefined) return;
    this.#jobs[this.#head] = noop;
    this.#head += 1;
    if (this.#head === this.#jobs.length) {
      this.#jobs.length = 0;
      this.#head = 0;
    } else {
      // Scheduled before the job runs, so a job that throws does not stop the ones after it.
      this.#scheduled = setImmediate(() => this.#runOne());
    }
    job();
  }
}

const noop = () => {};
