// Admission and ordering of CNI operations (cni-spec.md §9): operations on one container never run
// in parallel, different containers run concurrently up to a bound, exclusive operations (GC,
// reconcile) wait for everything in flight and hold back everything after them, and at most
// `queueLimit` operations wait: past it the caller is told to try again later, never piled up.
// An operation may give up its running slot before it has finished (a DEL whose link deletion
// waits to be batched with others' needs no worker meanwhile): its key stays held until finished.

/** An operation's answer may come before its slot is free (DEL fast path: answer, then delete the link). */
export interface TaskOutcome<T> {
  answer: Promise<T>;
  /** Settles when the operation has finished all its work; its key is held until then. Default: answer. */
  finished?: Promise<unknown>;
  /**
   * Settles when the operation no longer occupies a running slot (what is left runs without one).
   * Default: finished. Exclusive operations still wait until it has finished.
   */
  released?: Promise<unknown>;
}

export interface ScheduleOptions {
  /** Operations with the same key run one at a time, in arrival order (the container id). */
  key?: string | undefined;
  /** Runs alone: after everything admitted before it, before anything admitted after it. */
  exclusive?: boolean;
}

export interface SchedulerOptions {
  /** Operations running at once (at least 1). */
  concurrency: number;
  /** Operations allowed to wait for a slot (0: none may wait). */
  queueLimit: number;
}

export class QueueFullError extends Error {
  constructor(readonly limit: number) {
    super(`too many requests waiting (queue limit ${limit})`);
    this.name = "QueueFullError";
  }
}

export class SchedulerClosedError extends Error {
  constructor() {
    super("shutting down: no new requests are accepted");
    this.name = "SchedulerClosedError";
  }
}

interface Entry {
  key: string | undefined;
  exclusive: boolean;
  start: () => void;
}

export interface SchedulerStats {
  running: number;
  waiting: number;
  /** Started, not finished, no longer running: work left without a slot (held-back link deletions). */
  released: number;
  exclusiveRunning: boolean;
}

export class Scheduler {
  readonly #opts: SchedulerOptions;
  readonly #waiting: Entry[] = [];
  readonly #busyKeys = new Set<string>();
  #running = 0;
  /** Started and not finished: running, or released from its slot with work left. */
  #unfinished = 0;
  #exclusiveRunning = false;
  #closed = false;
  #idle: (() => void)[] = [];

  constructor(opts: SchedulerOptions) {
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) {
      throw new RangeError(`scheduler concurrency must be a positive integer, got ${opts.concurrency}`);
    }
    if (!Number.isInteger(opts.queueLimit) || opts.queueLimit < 0) {
      throw new RangeError(`scheduler queueLimit must be a non-negative integer, got ${opts.queueLimit}`);
    }
    this.#opts = { ...opts };
  }

  get stats(): SchedulerStats {
    return {
      running: this.#running,
      waiting: this.#waiting.length,
      released: this.#unfinished - this.#running,
      exclusiveRunning: this.#exclusiveRunning,
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Admits task and resolves with its answer once it has run.
   * @throws QueueFullError (synchronously, as a rejection) when it would have to wait and the queue is full
   * @throws SchedulerClosedError after close()
   */
  run<T>(opts: ScheduleOptions, task: () => TaskOutcome<T> | Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new SchedulerClosedError());
    return new Promise<T>((resolve, reject) => {
      const entry: Entry = {
        key: opts.key,
        exclusive: opts.exclusive ?? false,
        start: () => {
          let outcome: TaskOutcome<T>;
          try {
            const r = task();
            outcome = r instanceof Promise ? { answer: r } : r;
          } catch (e) {
            outcome = { answer: Promise.reject(e) };
          }
          outcome.answer.then(resolve, reject);
          const finished = outcome.finished ?? outcome.answer;
          const released = outcome.released ?? finished;
          // Whichever settles first, the slot is given up before the key (finished implies released).
          let slotFree = false;
          const freeSlot = () => {
            if (slotFree) return;
            slotFree = true;
            this.#releaseSlot(entry);
          };
          released.then(freeSlot, freeSlot);
          finished.then(
            () => {
              freeSlot();
              this.#finish(entry);
            },
            () => {
              freeSlot();
              this.#finish(entry);
            },
          );
        },
      };
      this.#waiting.push(entry);
      this.#pump();
      if (this.#waiting.includes(entry) && this.#waiting.length > this.#opts.queueLimit) {
        this.#waiting.splice(this.#waiting.indexOf(entry), 1);
        reject(new QueueFullError(this.#opts.queueLimit));
      }
    });
  }

  /** Refuses new operations from now on; those admitted still run. */
  close(): void {
    this.#closed = true;
  }

  /** Resolves once nothing runs or waits. */
  drain(): Promise<void> {
    if (this.#unfinished === 0 && this.#waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #releaseSlot(entry: Entry): void {
    this.#running--;
    if (entry.exclusive) this.#exclusiveRunning = false;
    this.#pump();
  }

  #finish(entry: Entry): void {
    this.#unfinished--;
    if (entry.key !== undefined) this.#busyKeys.delete(entry.key);
    this.#pump();
    if (this.#unfinished === 0 && this.#waiting.length === 0) {
      for (const fn of this.#idle.splice(0)) fn();
    }
  }

  #pump(): void {
    if (this.#exclusiveRunning) return;
    const blockedKeys = new Set<string>();
    for (let i = 0; i < this.#waiting.length; ) {
      const e = this.#waiting[i]!;
      if (e.exclusive) {
        // Nothing after an exclusive operation may overtake it; it waits for all work to finish.
        if (this.#unfinished === 0 && i === 0) {
          this.#waiting.splice(i, 1);
          this.#startEntry(e);
        }
        return;
      }
      if (this.#running >= this.#opts.concurrency) return;
      if (e.key !== undefined && (this.#busyKeys.has(e.key) || blockedKeys.has(e.key))) {
        blockedKeys.add(e.key);
        i++;
        continue;
      }
      this.#waiting.splice(i, 1);
      this.#startEntry(e);
    }
  }

  #startEntry(e: Entry): void {
    this.#running++;
    this.#unfinished++;
    if (e.exclusive) this.#exclusiveRunning = true;
    if (e.key !== undefined) this.#busyKeys.add(e.key);
    e.start();
  }
}
