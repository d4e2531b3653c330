// Prometheus metrics (prom-client, one private registry) and the event-loop delay monitor. The
// metrics endpoint is off unless --metrics-addr is given; the event-loop figures are also in
// GET /v1/status, so tests and benchmarks can read them without it.
import { createServer, type Server } from "node:http";
import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ReconcileReport, RepairKind } from "./reconcile.js";
import { REPAIR_KINDS } from "./reconcile.js";

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
  readonly registry = new Registry();
  readonly requests: Counter<"command" | "code">;
  readonly duration: Histogram<"command" | "code">;
  readonly rejected: Counter<"reason">;
  readonly attachments: Gauge<"network">;
  readonly poolUsed: Gauge<"network">;
  readonly repairs: Counter<"kind">;
  readonly inFlight: Gauge;
  readonly waiting: Gauge;
  readonly #loop: IntervalHistogram;

  constructor() {
    const registers = [this.registry];
    this.requests = new Counter({
      name: "quantum_cni_requests_total",
      help: "CNI requests answered, by command and CNI result code (0 = success)",
      labelNames: ["command", "code"],
      registers,
    });
    this.duration = new Histogram({
      name: "quantum_cni_request_duration_seconds",
      help: "Time from request to answer, by command and result code",
      labelNames: ["command", "code"],
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.rejected = new Counter({
      name: "quantum_cni_rejected_total",
      help: "Requests answered with code 11 without running: queue full, shutting down",
      labelNames: ["reason"],
      registers,
    });
    this.attachments = new Gauge({
      name: "quantum_attachments",
      help: "Attachments recorded per network (updated after each request)",
      labelNames: ["network"],
      registers,
    });
    this.poolUsed = new Gauge({
      name: "quantum_ip_pool_used",
      help: "Addresses reserved per network",
      labelNames: ["network"],
      registers,
    });
    this.repairs = new Counter({
      name: "quantum_reconcile_repairs_total",
      help: "Repairs made by reconcile, by kind",
      labelNames: ["kind"],
      registers,
    });
    this.inFlight = new Gauge({ name: "quantum_cni_in_flight", help: "Operations running", registers });
    this.waiting = new Gauge({ name: "quantum_cni_waiting", help: "Operations waiting for a slot", registers });
    this.#loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.#loop.enable();
    const loop = this.#loop;
    new Gauge({
      name: "quantum_event_loop_delay_p99_seconds",
      help: "99th percentile of the daemon's event-loop delay since start or the last reset",
      registers,
      collect() {
        this.set(delayMs(loop.percentile(99)) / 1000);
      },
    });
    new Gauge({
      name: "quantum_event_loop_delay_max_seconds",
      help: "Largest event-loop delay since start or the last reset",
      registers,
      collect() {
        this.set(delayMs(loop.max) / 1000);
      },
    });
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

  countRepairs(reports: readonly ReconcileReport[]): void {
    for (const r of reports) {
      for (const kind of REPAIR_KINDS) {
        const n = r[kind as RepairKind];
        if (n > 0) this.repairs.inc({ kind }, n);
      }
    }
  }

  stop(): void {
    this.#loop.disable();
  }
}

/** Serves GET /metrics on host:port (TCP); refresh runs before each scrape (per-network gauges). */
export function serveMetrics(metrics: DaemonMetrics, addr: string, refresh?: () => Promise<void>): Promise<Server> {
  const m = /^(.*):(\d+)$/.exec(addr);
  if (!m) throw new RangeError(`--metrics-addr must be host:port, got "${addr}"`);
  const host = m[1]!.replace(/^\[(.*)\]$/, "$1") || "127.0.0.1";
  const port = Number(m[2]);
  const server = createServer((req, res) => {
    if (req.method !== "GET" || req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    (refresh ? refresh().catch(() => undefined) : Promise.resolve())
      .then(() => metrics.registry.metrics())
      .then(
        (text) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
