// The kernel side of the peer list: what etcd says every remote node is, applied to the vxlan device.
// A put is an idempotent replace (unchanged attributes cost no kernel call); a delete is applied only
// after a grace period, and a put for the subnet during the grace cancels it: a false expiry's flap
// and a subnet handed to a new owner never blackhole traffic for longer than needed. Nothing here
// removes a peer because etcd is unreachable: only etcd's own word (a delete, or a listing without
// the peer) does.
import { errorText } from "./etcd-cluster.js";
import type { OverlayDevice } from "./overlay-device.js";
import { v6SubnetAddresses } from "./subnets.js";
import type { Peer } from "./types.js";

export interface PeerSyncLog {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
}

export interface PeerSyncCounters {
  programmed: number;
  removed: number;
  repaired: number;
  errors: number;
}

function samePeer(a: Peer, b: Peer): boolean {
  return (
    a.node === b.node &&
    a.publicIP === b.publicIP &&
    a.vtepMac === b.vtepMac &&
    a.subnet === b.subnet &&
    a.v6Subnet === b.v6Subnet
  );
}

export class PeerSync {
  readonly #programmed = new Map<string, Peer>();
  readonly #removals = new Map<string, NodeJS.Timeout>();
  readonly counters: PeerSyncCounters = { programmed: 0, removed: 0, repaired: 0, errors: 0 };

  constructor(
    private readonly device: OverlayDevice,
    private readonly ownSubnet: () => string | undefined,
    private readonly graceMs: number,
    private readonly log: PeerSyncLog,
  ) {}

  peers(): Peer[] {
    return [...this.#programmed.values()].sort((a, b) => a.subnet.localeCompare(b.subnet));
  }

  upsert(p: Peer): void {
    if (p.subnet === this.ownSubnet()) return;
    const timer = this.#removals.get(p.subnet);
    if (timer) {
      clearTimeout(timer);
      this.#removals.delete(p.subnet);
    }
    const old = this.#programmed.get(p.subnet);
    if (old && samePeer(old, p)) return;
    try {
      // A new owner of the subnet: its MAC differs, the old FDB entry would linger.
      if (old && (old.vtepMac !== p.vtepMac || old.publicIP !== p.publicIP || old.v6Subnet !== p.v6Subnet))
        this.device.remove(old);
      this.device.program(p);
      this.#programmed.set(p.subnet, p);
      this.counters.programmed++;
      this.log.info({ peer: p.node, subnet: p.subnet, publicIP: p.publicIP, replaced: old?.node }, "peer programmed");
    } catch (e) {
      this.counters.errors++;
      this.log.warn(
        { peer: p.node, subnet: p.subnet, err: errorText(e) },
        "programming a peer failed (reconcile retries)",
      );
    }
  }

  /** etcd deleted the subnet: remove it after the grace unless a put comes first. */
  deleted(subnet: string): void {
    if (!this.#programmed.has(subnet) || this.#removals.has(subnet)) return;
    const timer = setTimeout(() => {
      this.#removals.delete(subnet);
      this.#removeNow(subnet);
    }, this.graceMs);
    timer.unref();
    this.#removals.set(subnet, timer);
  }

  #removeNow(subnet: string): void {
    const p = this.#programmed.get(subnet);
    if (!p) return;
    try {
      this.device.remove(p);
      this.#programmed.delete(subnet);
      this.counters.removed++;
      this.log.info({ peer: p.node, subnet }, "peer removed");
    } catch (e) {
      this.counters.errors++;
      this.log.warn({ peer: p.node, subnet, err: errorText(e) }, "removing a peer failed (reconcile retries)");
    }
  }

  /** A full listing from etcd: every listed peer is upserted, every programmed one not listed is deleted (with grace). */
  replaceAll(peers: Peer[]): void {
    const listed = new Set<string>();
    for (const p of peers) {
      if (p.subnet === this.ownSubnet()) continue;
      listed.add(p.subnet);
      this.upsert(p);
    }
    for (const subnet of this.#programmed.keys()) if (!listed.has(subnet)) this.deleted(subnet);
    // Our own subnet may once have been a peer's (reassigned to us): never route it to the vxlan.
    const own = this.ownSubnet();
    if (own && this.#programmed.has(own)) this.#removeNow(own);
  }

  /** Compares the kernel with what should be there: re-programs what is missing or wrong, removes strays on our device. */
  reconcileKernel(): void {
    let k: ReturnType<OverlayDevice["kernelState"]>;
    try {
      k = this.device.kernelState();
    } catch (e) {
      this.counters.errors++;
      this.log.warn({ err: errorText(e) }, "reading the overlay's kernel state failed");
      return;
    }
    const wanted = new Set<string>();
    for (const p of this.#programmed.values()) {
      const vtep = p.subnet.split("/")[0];
      wanted.add(p.subnet);
      let ok =
        k.routes.get(p.subnet) === vtep &&
        k.neighbours.get(vtep ?? "") === p.vtepMac &&
        k.fdb.get(p.vtepMac) === p.publicIP;
      if (p.v6Subnet) {
        const v6 = v6SubnetAddresses(p.v6Subnet).vtep;
        wanted.add(p.v6Subnet);
        ok &&= k.routes.get(p.v6Subnet) === v6 && k.neighbours.get(v6) === p.vtepMac;
      }
      if (ok) continue;
      try {
        this.device.program(p);
        this.counters.repaired++;
        this.log.warn({ peer: p.node, subnet: p.subnet }, "reconcile: re-programmed a peer the kernel had lost");
      } catch (e) {
        this.counters.errors++;
        this.log.warn({ peer: p.node, err: errorText(e) }, "reconcile: re-programming failed");
      }
    }
    const wantedMacs = new Set([...this.#programmed.values()].map((p) => p.vtepMac));
    for (const [subnet, gw] of k.routes) {
      if (wanted.has(subnet) || gw === undefined) continue;
      const mac = k.neighbours.get(gw);
      try {
        this.device.removeStray(subnet, gw, mac && !wantedMacs.has(mac) ? { mac, dst: k.fdb.get(mac) } : undefined);
        this.counters.repaired++;
        this.log.warn({ subnet }, "reconcile: removed a stray overlay route");
      } catch (e) {
        this.counters.errors++;
        this.log.warn({ subnet, err: errorText(e) }, "reconcile: removing a stray route failed");
      }
    }
  }

  stop(): void {
    for (const t of this.#removals.values()) clearTimeout(t);
    this.#removals.clear();
  }
}
