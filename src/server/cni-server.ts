// CniServer: the daemon's core. It admits CNI requests through the scheduler (per-container order,
// bounded concurrency, queue limit, GC exclusive), runs them in the worker pool so the event loop
// never blocks on netlink or SQLite, and answers with exactly what direct mode would print.
import { CniError, CODE_INTERNAL, CODE_TRY_AGAIN_LATER } from "../cni/errors.js";
import type { FabricStatus } from "../fabric/index.js";
// Values from the light cni-config module only: this thread must not load the dataplane.
import { DEFAULT_DATA_DIR, DEFAULT_RECONCILE_GRACE_MS } from "../manager/cni-config.js";
import type { ReconcileReport } from "../manager/index.js";
import type { Logger } from "./logger.js";
import { DaemonMetrics } from "./metrics.js";
import { type CniAnswer, type CniWireRequest, errorAnswer, summarizeConfig } from "./protocol.js";
import { QueueFullError, Scheduler, SchedulerClosedError } from "./scheduler.js";
import { WorkerPool } from "./worker-pool.js";

export interface CniServerOptions {
  /** Worker threads = operations running at once (default 2: RTNL and nftables serialise the kernel side). */
  workers?: number;
  /** Operations allowed to wait for a slot before new ones get code 11 (default 256). */
  queueLimit?: number;
  /** Answer DEL before deleting the link (default true). */
  fastDel?: boolean;
  /**
   * With fastDel, answer DEL before the firewall elements and addresses are released too (they are
   * released right after; the address stays reserved until then). Default false: the order.
   */
  deferRelease?: boolean;
  /** nftables table (default "quantum"). */
  firewallTable?: string;
  /** Data dirs to reconcile besides those seen in requests (default: DEFAULT_DATA_DIR). */
  dataDirs?: string[];
  /**
   * How long half-made state (a reservation without attachment, a bridge port nobody owns) must
   * persist before reconcile removes it: a direct-mode ADD may be building it right now. Reconcile
   * waits only when its first look found such state. Default 5000 ms.
   */
  reconcileGraceMs?: number;
  /** Age an attachment whose netns vanished must reach before reconcile releases it (default 7 days). */
  staleAttachmentGraceMs?: number;
  logger: Logger;
  metrics?: DaemonMetrics;
  /** Fabric mode: the agent's status, shown in GET /v1/status. */
  fabric?: () => FabricStatus;
}

export interface ServerStatus {
  pid: number;
  uptimeSeconds: number;
  ready: boolean;
  shuttingDown: boolean;
  workers: number;
  workerRestarts: number;
  running: number;
  waiting: number;
  /** Operations answered whose link deletion is still held back, to be done with others'. */
  pendingLinkDeletions: number;
  /** Held-back link deletions done so far: in how many batches ("reaps"), how many links. */
  linkDeletionBatches: { batches: number; links: number };
  queueLimit: number;
  fastDel: boolean;
  deferRelease: boolean;
  dataDirs: string[];
  eventLoopDelayMs: ReturnType<DaemonMetrics["eventLoopDelay"]>;
  memory: { rssBytes: number; heapUsedBytes: number };
  lastReconcile?: { at: string; reports: ReconcileReport[] };
  fabric?: FabricStatus;
}

const KEYED = new Set(["ADD", "DEL", "CHECK"]);

export class CniServer {
  readonly metrics: DaemonMetrics;
  readonly #log: Logger;
  readonly #opts: CniServerOptions;
  readonly #pool: WorkerPool;
  readonly #scheduler: Scheduler;
  readonly #dataDirs = new Set<string>();
  readonly #started = Date.now();
  #ready = false;
  #lastReconcile: ServerStatus["lastReconcile"];

  constructor(opts: CniServerOptions) {
    this.#opts = opts;
    this.#log = opts.logger;
    this.metrics = opts.metrics ?? new DaemonMetrics();
    const workers = opts.workers ?? 2;
    this.#pool = new WorkerPool(workers, {
      fastDel: opts.fastDel ?? true,
      deferRelease: opts.deferRelease ?? false,
      baseEnv: { ...process.env },
      ...(opts.firewallTable ? { firewallTable: opts.firewallTable } : {}),
    });
    this.#scheduler = new Scheduler({ concurrency: workers, queueLimit: opts.queueLimit ?? 256 });
    for (const d of opts.dataDirs ?? [DEFAULT_DATA_DIR]) this.#dataDirs.add(d);
  }

  get ready(): boolean {
    return this.#ready && !this.#scheduler.closed;
  }

  /** Starts the workers and runs the first reconcile; ready afterwards. */
  async start(opts: { reconcile?: boolean } = {}): Promise<void> {
    await this.#pool.start();
    if (opts.reconcile !== false) {
      try {
        await this.reconcile();
      } catch (err) {
        this.#log.error({ err }, "reconcile at start failed");
      }
    }
    this.#ready = true;
  }

  async handleCni(req: CniWireRequest): Promise<CniAnswer> {
    const t0 = performance.now();
    const command = req.env["CNI_COMMAND"] ?? "";
    const containerId = req.env["CNI_CONTAINERID"] || undefined;
    const summary = summarizeConfig(req.stdin);
    let answer: CniAnswer;
    let dataDirs: readonly string[] = [];
    let outcome = "ok";
    try {
      const res = await this.#scheduler.run(
        { key: KEYED.has(command) ? containerId : undefined, exclusive: command === "GC" },
        () => {
          const job = this.#pool.runCni(req.env, req.stdin);
          const finished = job.finished.then((err) => {
            if (err)
              this.#log.warn({ containerId, network: summary.name, command, err }, "work after the answer failed");
          });
          return { answer: job.answer, released: job.released, finished };
        },
      );
      answer = res.answer;
      dataDirs = res.dataDirs;
    } catch (err) {
      if (err instanceof QueueFullError) {
        outcome = "queue-full";
        this.metrics.rejected("queue-full");
        answer = errorAnswer(
          new CniError(CODE_TRY_AGAIN_LATER, "quantumd is busy, try again later", err.message),
          summary.cniVersion,
        );
      } else if (err instanceof SchedulerClosedError) {
        outcome = "shutting-down";
        this.metrics.rejected("shutting-down");
        answer = errorAnswer(
          new CniError(CODE_TRY_AGAIN_LATER, "quantumd is shutting down, try again later"),
          summary.cniVersion,
        );
      } else {
        outcome = "worker-failed";
        this.#log.error({ err, containerId, command }, "worker failed");
        answer = errorAnswer(
          new CniError(CODE_INTERNAL, "quantumd: the request's worker failed", (err as Error).message),
          summary.cniVersion,
        );
      }
    }
    for (const dir of dataDirs) this.#dataDirs.add(dir);
    const code = answer.code;
    const seconds = (performance.now() - t0) / 1000;
    this.metrics.request(command, code, seconds);
    const stats = this.#scheduler.stats;
    this.metrics.queue(stats.running, stats.waiting);
    this.#log.info(
      {
        containerId,
        ifname: req.env["CNI_IFNAME"] || undefined,
        network: summary.name,
        command,
        durationMs: Math.round(seconds * 1e6) / 1e3,
        exit: answer.exit,
        code,
        outcome: outcome === "ok" && code !== 0 ? "error" : outcome,
      },
      "cni request",
    );
    return answer;
  }

  /** Runs reconcile over every known data dir, exclusive of all CNI operations. */
  async reconcile(): Promise<ReconcileReport[]> {
    const dirs = [...this.#dataDirs];
    const reports = await this.#scheduler.run({ exclusive: true }, () =>
      this.#pool.reconcile(
        dirs,
        this.#opts.reconcileGraceMs ?? DEFAULT_RECONCILE_GRACE_MS,
        this.#opts.staleAttachmentGraceMs,
      ),
    );
    this.metrics.countRepairs(reports);
    this.#lastReconcile = { at: new Date().toISOString(), reports };
    for (const r of reports) {
      const repairs = r.items.length;
      const level = r.errors.length > 0 ? "warn" : "info";
      this.#log[level]({ dataDir: r.dataDir, repairs, items: r.items, errors: r.errors }, "reconcile");
    }
    return reports;
  }

  /** Refreshes the per-network gauges (called before a metrics scrape). */
  async refreshGauges(): Promise<void> {
    this.metrics.networks(await this.#pool.stats([...this.#dataDirs]).answer);
  }

  status(): ServerStatus {
    const s = this.#scheduler.stats;
    const mem = process.memoryUsage();
    return {
      pid: process.pid,
      uptimeSeconds: Math.round((Date.now() - this.#started) / 1000),
      ready: this.ready,
      shuttingDown: this.#scheduler.closed,
      workers: this.#pool.size,
      workerRestarts: this.#pool.restarts,
      running: s.running,
      waiting: s.waiting,
      pendingLinkDeletions: s.released,
      linkDeletionBatches: this.#pool.reapStats(),
      queueLimit: this.#opts.queueLimit ?? 256,
      fastDel: this.#opts.fastDel ?? true,
      deferRelease: this.#opts.deferRelease ?? false,
      dataDirs: [...this.#dataDirs],
      eventLoopDelayMs: this.metrics.eventLoopDelay(),
      memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed },
      ...(this.#lastReconcile ? { lastReconcile: this.#lastReconcile } : {}),
      ...(this.#opts.fabric ? { fabric: this.#opts.fabric() } : {}),
    };
  }

  /** Stops admitting (new requests get code 11), waits for what was admitted, stops the workers. */
  async shutdown(): Promise<void> {
    this.#scheduler.close();
    await this.#scheduler.drain();
    await this.#pool.close();
    this.metrics.stop();
  }
}
