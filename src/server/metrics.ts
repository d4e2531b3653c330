// The daemon's measurements: the event-loop delay (always on; also in GET /v1/status) and, when
// --metrics-addr is given, Prometheus metrics (prometheus.ts, loaded on demand).
import type { Server } from "node:http";
import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";
import type { FabricStatus } from "../fabric/index.js";
import type { ReconcileReport } from "../manager/index.js";
import type { PromMetrics } from "./prometheus.js";
import type { NetworkStats } from "./worker-messages.js";

export interface EventLoopDelay {
  /** Milliseconds. */
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * Sampling interval of the event-loop monitor. Its histogram records whole intervals between timer
 * ticks (interval + delay), so the resolution is subtracted from every figure reported.
 */
const RESOLUTION_MS = 5;

function delayMs(ns: number): number {
  const ms = ns / 1e6 - RESOLUTION_MS;
  return ms > 0 ? Math.round(ms * 1000) / 1000 : 0;
}

export class DaemonMetrics {
  readonly #loop: IntervalHistogram;
  #prom: PromMetrics | undefined;
  #fabric: (() => FabricStatus) | undefined;

  constructor() {
    this.#loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.#loop.enable();
  }

  /** Loads prom-client and serves GET /metrics on addr ("host:port"). */
  async servePrometheus(addr: string, refresh?: () => Promise<void>): Promise<Server> {
    const { PromMetrics } = await import("./prometheus.js");
    this.#prom ??= new PromMetrics(() => this.eventLoopDelay());
    if (this.#fabric) {
      const { registerFabricMetrics } = await import("./fabric-metrics.js");
      registerFabricMetrics(this.#prom.registry, this.#fabric);
    }
    return this.#prom.serve(addr, refresh);
  }

  /** Fabric mode: the agent's status feeds the quantum_fabric_* gauges (call before servePrometheus). */
  fabric(status: () => FabricStatus): void {
    this.#fabric = status;
  }

  get prometheusEnabled(): boolean {
    return this.#prom !== undefined;
  }

  request(command: string, code: number, seconds: number): void {
    if (!this.#prom) return;
    const labels = { command, code: String(code) };
    this.#prom.requests.inc(labels);
    this.#prom.duration.observe(labels, seconds);
  }

  rejected(reason: "queue-full" | "shutting-down"): void {
    this.#prom?.rejected.inc({ reason });
  }

  queue(running: number, waiting: number): void {
    this.#prom?.inFlight.set(running);
    this.#prom?.waiting.set(waiting);
  }

  networks(stats: NetworkStats): void {
    if (!this.#prom) return;
    this.#prom.attachments.reset();
    this.#prom.poolUsed.reset();
    this.#prom.attachmentsByNamespace.reset();
    for (const [network, s] of Object.entries(stats)) {
      this.#prom.attachments.set({ network }, s.attachments);
      this.#prom.poolUsed.set({ network }, s.reserved);
      for (const [namespace, n] of Object.entries(s.namespaces ?? {})) {
        this.#prom.attachmentsByNamespace.set({ network, namespace }, n);
      }
    }
  }

  countRepairs(reports: readonly ReconcileReport[]): void {
    if (!this.#prom) return;
    for (const r of reports) {
      // A report's numeric fields are exactly its repair kinds (RepairKind); the rest are lists and names.
      for (const [kind, n] of Object.entries(r))
        if (typeof n === "number" && n > 0) this.#prom.repairs.inc({ kind }, n);
    }
  }

  eventLoopDelay(): EventLoopDelay {
    const l = this.#loop;
    if (l.count === 0) return { p50: 0, p99: 0, max: 0, mean: 0 };
    return {
      p50: delayMs(l.percentile(50)),
      p99: delayMs(l.percentile(99)),
      max: delayMs(l.max),
      mean: delayMs(l.mean),
    };
  }

  resetEventLoopDelay(): void {
    this.#loop.reset();
  }

  stop(): void {
    this.#loop.disable();
  }
}
