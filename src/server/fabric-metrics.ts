// Prometheus gauges for the fabric agent (fabric mode only), read from its status at scrape time.
import { Gauge, type Registry } from "prom-client";
import type { FabricStatus } from "../fabric/index.js";

export function registerFabricMetrics(registry: Registry, status: () => FabricStatus): void {
  const registers = [registry];
  const gauge = (name: string, help: string, value: (s: FabricStatus) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(value(status()));
      },
    });
  gauge("quantum_fabric_peers", "Remote nodes programmed on the vxlan device", (s) => s.peers.length);
  gauge("quantum_fabric_renewal_age_seconds", "Time since the last successful lease renewal (-1: never)", (s) =>
    s.renewalAgeMs === undefined ? -1 : s.renewalAgeMs / 1000,
  );
  gauge("quantum_fabric_etcd_errors", "etcd calls and keep-alive rounds that failed since start", (s) => s.etcdErrors);
  gauge("quantum_fabric_self_fenced", "1 while the node refuses new pods (claim not verified)", (s) =>
    s.fenced ? 1 : 0,
  );
  gauge("quantum_fabric_claimed", "1 while the node holds a subnet", (s) => (s.phase === "claimed" ? 1 : 0));
  gauge("quantum_fabric_subnet_conflicts", "Times our subnet was found owned by another node", (s) => s.conflicts);
}
