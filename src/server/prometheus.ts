// The Prometheus side of the daemon's metrics (prom-client), loaded only when --metrics-addr is
// given: prom-client alone costs ~14 MB of RSS.
import { createServer, type Server } from "node:http";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { EventLoopDelay } from "./metrics.js";

export class PromMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<"command" | "code">;
  readonly duration: Histogram<"command" | "code">;
  readonly rejected: Counter<"reason">;
  readonly attachments: Gauge<"network">;
  readonly attachmentsByNamespace: Gauge<"network" | "namespace">;
  readonly poolUsed: Gauge<"network">;
  readonly repairs: Counter<"kind">;
  readonly inFlight: Gauge;
  readonly waiting: Gauge;

  constructor(loop: () => EventLoopDelay) {
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
      help: "Attachments recorded per network (read from the stores at scrape time)",
      labelNames: ["network"],
      registers,
    });
    this.attachmentsByNamespace = new Gauge({
      name: "quantum_attachments_by_namespace",
      help: 'Attachments per network and Kubernetes pod namespace (CNI_ARGS K8S_POD_NAMESPACE; "" = none sent)',
      labelNames: ["network", "namespace"],
      registers,
    });
    this.poolUsed = new Gauge({
      name: "quantum_ip_pool_used",
      help: "Addresses reserved per network (read from the stores at scrape time)",
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
    new Gauge({
      name: "quantum_event_loop_delay_p99_seconds",
      help: "99th percentile of the daemon's event-loop delay since start or the last reset",
      registers,
      collect() {
        this.set(loop().p99 / 1000);
      },
    });
    new Gauge({
      name: "quantum_event_loop_delay_max_seconds",
      help: "Largest event-loop delay since start or the last reset",
      registers,
      collect() {
        this.set(loop().max / 1000);
      },
    });
  }

  /** Serves GET /metrics on host:port (TCP); refresh runs before each scrape (per-network gauges). */
  serve(addr: string, refresh?: () => Promise<void>): Promise<Server> {
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
        .then(() => this.registry.metrics())
        .then(
          (text) => res.writeHead(200, { "content-type": this.registry.contentType }).end(text),
          (err: Error) => res.writeHead(500).end(err.message),
        );
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve(server));
    });
  }
}
