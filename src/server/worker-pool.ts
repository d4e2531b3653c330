// A small pool of LONG-LIVED worker threads (never one per request: a Worker costs ~30 ms to start).
// Each worker runs one job at a time; the scheduler keeps at most `size` jobs running, and the pool
// queues any excess rather than failing. A worker that dies is replaced and its job fails.
// A fast DEL frees its worker at once and leaves its link deletion held back in that worker; the
// pool has a worker delete all it holds together ("reap") as soon as it is free while another
// worker is free too, once it has sat idle for REAP_IDLE_MS, or before its next job once it holds
// REAP_BATCH_MAX or has held one for REAP_MAX_AGE_MS. Under a burst of DELs every worker is busy,
// so many links share one request and its RCU grace periods (measured: bench/).
import { Worker } from "node:worker_threads";
import type { ReconcileReport } from "../manager/index.js";
import type { EngineOptions } from "./engine.js";
import type { CniAnswer } from "./protocol.js";
import type { FromWorker, NetworkStats, ToWorker } from "./worker-messages.js";

export interface CniJobAnswer {
  answer: CniAnswer;
  /** Every data dir the worker has served so far. */
  dataDirs: string[];
  /** Time the worker spent until the answer. */
  workMs: number;
}

export interface Job<T> {
  answer: Promise<T>;
  /** Settles when the worker is free again (a held-back link deletion may still be pending). */
  released: Promise<void>;
  /** Settles when all of the job's work is done; resolves with the error of post-answer work, if any. */
  finished: Promise<string | undefined>;
}

/** A worker holding this many link deletions deletes them before taking another job. */
export const REAP_BATCH_MAX = 64;
/** A worker that has held a link deletion this long deletes what it holds before its next job. */
export const REAP_MAX_AGE_MS = Number(process.env["QUANTUMD_REAP_MAX_AGE_MS"] ?? 100);
/**
 * A worker idle this long deletes what it holds. Not at once: the DELs of a burst arrive a few ms
 * apart, and each reap costs a grace period (~20 ms) whatever its size.
 */
export const REAP_IDLE_MS = Number(process.env["QUANTUMD_REAP_IDLE_MS"] ?? 10);

const WORKER_YOUNG_MB = Number(process.env["QUANTUMD_WORKER_YOUNG_MB"] ?? 4);
const WORKER_OLD_MB = Number(process.env["QUANTUMD_WORKER_OLD_MB"] ?? 128);

interface Pending {
  msg: ToWorker;
  onMessage: (m: FromWorker) => void;
  onCrash: (err: Error) => void;
  /** Set when the worker held back the job's link deletion: finishes the job once reaped. */
  finishLater?: (error: string | undefined) => void;
}

interface Slot {
  worker: Worker;
  job: Pending | undefined;
  /** Jobs answered whose link deletion this worker holds back, by job id. */
  heldBack: Map<number, Pending>;
  /** When the oldest held-back deletion was handed over (performance.now()). */
  heldSince: number;
}

export class WorkerPool {
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  readonly #options: EngineOptions;
  readonly #size: number;
  #nextId = 1;
  #closing = false;
  #idleReap: NodeJS.Timeout | undefined;
  /** Workers replaced after a crash (for metrics and status). */
  restarts = 0;
  #reaps = { batches: 0, links: 0 };

  constructor(size: number, options: EngineOptions) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`worker pool size must be >= 1, got ${size}`);
    this.#size = size;
    this.#options = options;
  }

  get size(): number {
    return this.#size;
  }

  /** Held-back link deletions done so far: batches and links. */
  reapStats(): { batches: number; links: number } {
    return { ...this.#reaps };
  }

  get busy(): number {
    return this.#slots.filter((s) => s.job).length;
  }

  /** Starts every worker and waits until each is running. */
  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.#size }, () => this.#spawn()));
  }

  #spawn(): Promise<void> {
    const worker = new Worker(new URL("./worker.js", import.meta.url), {
      workerData: this.#options,
      // Each request allocates little and briefly: a small young generation keeps RSS down
      // (the daemon's budget is ~120 MB at 1000 attachments) at no measurable cost.
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB, maxOldGenerationSizeMb: WORKER_OLD_MB },
    });
    const slot: Slot = { worker, job: undefined, heldBack: new Map(), heldSince: 0 };
    this.#slots.push(slot);
    worker.on("message", (m: FromWorker) => {
      if (m.kind === "reaped") {
        this.#reaps.batches++;
        this.#reaps.links += m.jobs.length;
        for (const r of m.jobs) {
          const held = slot.heldBack.get(r.id);
          slot.heldBack.delete(r.id);
          held?.finishLater?.(r.error);
        }
      }
      const job = slot.job;
      if (!job || job.msg.id !== m.id) return;
      if (m.kind === "done") {
        slot.job = undefined;
        if (m.deferred) {
          if (slot.heldBack.size === 0) slot.heldSince = performance.now();
          slot.heldBack.set(m.id, job);
        }
        job.onMessage(m);
        this.#dispatch();
      } else {
        job.onMessage(m);
      }
    });
    const crashed = (err: Error) => {
      const i = this.#slots.indexOf(slot);
      if (i < 0) return;
      this.#slots.splice(i, 1);
      const job = slot.job;
      slot.job = undefined;
      job?.onCrash(err);
      // Their DELs were answered; the pending deletions stay in the store for reconcile or the next ADD.
      for (const held of slot.heldBack.values()) held.finishLater?.(`link deletion not finished: ${err.message}`);
      slot.heldBack.clear();
      if (!this.#closing) {
        this.restarts++;
        this.#spawn()
          .then(() => this.#dispatch())
          .catch(() => undefined);
      }
    };
    worker.on("error", crashed);
    worker.on("exit", (code) => crashed(new Error(`worker thread exited with code ${code}`)));
    return new Promise((resolve, reject) => {
      worker.once("online", () => resolve());
      worker.once("error", reject);
    });
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (slot.job) continue;
      if (slot.heldBack.size > 0 && this.#mustReap(slot)) this.#reap(slot);
      else if (this.#queue.length > 0) this.#post(slot, this.#queue.shift()!);
      // Another worker is free to serve what comes next: delete now, before the next ADD or
      // CHECK would wait behind the deletion for RTNL. Otherwise a burst is on: hold, batch.
      else if (slot.heldBack.size > 0 && this.#slots.some((o) => o !== slot && !o.job)) this.#reap(slot);
      else if (slot.heldBack.size > 0) this.#scheduleIdleReap();
    }
  }

  #mustReap(slot: Slot): boolean {
    return slot.heldBack.size >= REAP_BATCH_MAX || performance.now() - slot.heldSince >= REAP_MAX_AGE_MS;
  }

  #post(slot: Slot, job: Pending): void {
    slot.job = job;
    slot.worker.postMessage(job.msg);
  }

  #reap(slot: Slot): void {
    const id = this.#nextId++;
    // Internal: nobody waits on the reap itself, only on the jobs it finishes.
    this.#post(slot, { msg: { id, kind: "reap" }, onMessage: () => undefined, onCrash: () => undefined });
  }

  /** A worker still idle REAP_IDLE_MS from now deletes the links it holds. */
  #scheduleIdleReap(): void {
    if (this.#idleReap) return;
    this.#idleReap = setTimeout(() => {
      this.#idleReap = undefined;
      for (const slot of this.#slots) {
        if (!slot.job && slot.heldBack.size > 0 && this.#queue.length === 0) this.#reap(slot);
      }
      // A slot that was busy got its own check when it became free.
    }, REAP_IDLE_MS);
  }

  #submit<T>(msg: ToWorker, pick: (m: FromWorker) => T | undefined): Job<T> {
    let resolveAnswer!: (v: T) => void;
    let rejectAnswer!: (e: Error) => void;
    let resolveReleased!: () => void;
    let resolveFinished!: (v: string | undefined) => void;
    const answer = new Promise<T>((res, rej) => {
      resolveAnswer = res;
      rejectAnswer = rej;
    });
    const released = new Promise<void>((res) => {
      resolveReleased = res;
    });
    const finished = new Promise<string | undefined>((res) => {
      resolveFinished = res;
    });
    let answered = false;
    this.#queue.push({
      msg,
      finishLater: (error) => resolveFinished(error),
      onMessage: (m) => {
        if (m.kind === "failed") {
          answered = true;
          rejectAnswer(new Error(m.error));
        } else if (m.kind === "done") {
          if (!answered) rejectAnswer(new Error("worker finished without an answer"));
          resolveReleased();
          if (!m.deferred) resolveFinished(m.error);
        } else {
          const v = pick(m);
          if (v !== undefined) {
            answered = true;
            resolveAnswer(v);
          }
        }
      },
      onCrash: (err) => {
        if (!answered) rejectAnswer(err);
        resolveReleased();
        resolveFinished(err.message);
      },
    });
    this.#dispatch();
    return { answer, released, finished };
  }

  runCni(env: Record<string, string>, stdin: string): Job<CniJobAnswer> {
    return this.#submit({ id: this.#nextId++, kind: "cni", env, stdin }, (m) =>
      m.kind === "answer" ? { answer: m.answer, workMs: m.workMs, dataDirs: m.dataDirs } : undefined,
    );
  }

  reconcile(dataDirs: string[], graceMs: number, staleGraceMs?: number): Job<ReconcileReport[]> {
    const msg = { id: this.#nextId++, kind: "reconcile" as const, dataDirs, graceMs };
    return this.#submit(staleGraceMs === undefined ? msg : { ...msg, staleGraceMs }, (m) =>
      m.kind === "reconciled" ? m.reports : undefined,
    );
  }

  stats(dataDirs: string[]): Job<NetworkStats> {
    return this.#submit({ id: this.#nextId++, kind: "stats", dataDirs }, (m) =>
      m.kind === "stats" ? m.networks : undefined,
    );
  }

  /** Asks every worker to close its stores and sockets, and waits for them (terminates after timeoutMs). */
  async close(timeoutMs = 5000): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#idleReap); // each worker deletes what it holds when closing
    await Promise.all(
      this.#slots.map(
        (s) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => void s.worker.terminate().then(() => resolve()), timeoutMs);
            s.worker.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            s.worker.postMessage({ id: 0, kind: "close" } satisfies ToWorker);
          }),
      ),
    );
  }
}
