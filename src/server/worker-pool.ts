// A small pool of LONG-LIVED worker threads (never one per request: a Worker costs ~30 ms to start).
// Each worker runs one job at a time; the scheduler keeps at most `size` jobs running, and the pool
// queues any excess rather than failing. A worker that dies is replaced and its job fails.
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
  /** Settles when the worker is free again; resolves with the error of post-answer work, if any. */
  finished: Promise<string | undefined>;
}

const WORKER_YOUNG_MB = Number(process.env["QUANTUMD_WORKER_YOUNG_MB"] ?? 4);
const WORKER_OLD_MB = Number(process.env["QUANTUMD_WORKER_OLD_MB"] ?? 128);

interface Pending {
  msg: ToWorker;
  onMessage: (m: FromWorker) => void;
  onCrash: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Pending | undefined;
}

export class WorkerPool {
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  readonly #options: EngineOptions;
  readonly #size: number;
  #nextId = 1;
  #closing = false;
  /** Workers replaced after a crash (for metrics and status). */
  restarts = 0;

  constructor(size: number, options: EngineOptions) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`worker pool size must be >= 1, got ${size}`);
    this.#size = size;
    this.#options = options;
  }

  get size(): number {
    return this.#size;
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
    const slot: Slot = { worker, job: undefined };
    this.#slots.push(slot);
    worker.on("message", (m: FromWorker) => {
      const job = slot.job;
      if (!job || job.msg.id !== m.id) return;
      if (m.kind === "done") {
        slot.job = undefined;
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
      if (this.#queue.length === 0) return;
      if (slot.job) continue;
      const job = this.#queue.shift()!;
      slot.job = job;
      slot.worker.postMessage(job.msg);
    }
  }

  #submit<T>(msg: ToWorker, pick: (m: FromWorker) => T | undefined): Job<T> {
    let resolveAnswer!: (v: T) => void;
    let rejectAnswer!: (e: Error) => void;
    let resolveFinished!: (v: string | undefined) => void;
    const answer = new Promise<T>((res, rej) => {
      resolveAnswer = res;
      rejectAnswer = rej;
    });
    const finished = new Promise<string | undefined>((res) => {
      resolveFinished = res;
    });
    let answered = false;
    this.#queue.push({
      msg,
      onMessage: (m) => {
        if (m.kind === "failed") {
          answered = true;
          rejectAnswer(new Error(m.error));
        } else if (m.kind === "done") {
          if (!answered) rejectAnswer(new Error("worker finished without an answer"));
          resolveFinished(m.error);
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
        resolveFinished(err.message);
      },
    });
    this.#dispatch();
    return { answer, finished };
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
