// The fabric agent in quantumd: claims this node's subnet, keeps the lease alive with our own loop,
// self-fences when it cannot renew for a TTL, watches the peers and programs them on the vxlan, and
// reconciles kernel against etcd periodically (multihost.md §4.3–4.7). ADD/DEL never wait on it: it
// publishes the claim in a local lease file that the overlay driver reads.
import type { IKeyValue } from "etcd3";
import type { Rtnl } from "../kernel/index.js";
import type { OverlayLease } from "../network/overlay/lease.js";
import { errorText } from "./etcd-cluster.js";
import type { FabricStore, Listing } from "./fabric-store.js";
import { FabricWatch } from "./fabric-watch.js";
import { LeaseKeeper } from "./lease-keeper.js";
import { OverlayDevice } from "./overlay-device.js";
import { PeerSync } from "./peer-sync.js";
import { type AgentState, loadAgentState, saveAgentState, writeOverlayLease } from "./state-files.js";
import { chooseSubnet } from "./subnet-choice.js";
import { subnetAddresses, v6SubnetAddresses, v6SubnetFor } from "./subnets.js";
import type { FabricConfig, Peer, SubnetRecord } from "./types.js";
import { vtepMac } from "./vtep.js";

export interface FabricLog {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
  error(o: object, msg: string): void;
}

export interface FabricAgentOptions {
  store: FabricStore;
  nodeName: string;
  publicIP: string;
  dataDir: string;
  /** Where the overlay driver reads this node's lease (network/overlay overlayLeasePath). */
  leasePath: string;
  /** rtnetlink in the node's (host) netns. */
  rtnl: Rtnl;
  /** vxlan device name (default "qvx<vni>"). */
  vxlanName?: string;
  /** Re-list + kernel reconcile period (default 300 s). */
  resyncMs?: number;
  /** Delay before a deleted peer's routes go (default 2 keep-alive intervals). */
  deleteGraceMs?: number;
  /** Retry period while waiting for the config, a free subnet or etcd (default 1000 ms). */
  retryMs?: number;
  log: FabricLog;
}

export type FabricPhase = "starting" | "no-config" | "name-in-use" | "pool-exhausted" | "claimed" | "stopped";

export interface FabricStatus {
  node: string;
  nodeUid: string;
  publicIP: string;
  vtepMac: string;
  phase: FabricPhase;
  subnet?: string;
  leaseId?: string;
  ttlSeconds?: number;
  mtu?: number;
  lastRenewal?: string;
  renewalAgeMs?: number;
  /** Renewals are failing (but not yet for a TTL). */
  degraded: boolean;
  fenced: boolean;
  fenceReason?: string;
  /** Times another node was found owning the subnet we had (split brain detected after a heal). */
  conflicts: number;
  etcdErrors: number;
  peers: Peer[];
  peerCounters: PeerSync["counters"];
  lastError?: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export function peersOf(l: Listing): Peer[] {
  return [...l.subnets].map(([subnet, e]) => ({
    subnet,
    node: e.value.node,
    publicIP: e.value.publicIP,
    vtepMac: e.value.vtepMac,
    ...(e.value.v6Subnet ? { v6Subnet: e.value.v6Subnet } : {}),
  }));
}

export class FabricAgent {
  readonly #o: FabricAgentOptions;
  readonly #mac: string;
  #state: AgentState;
  #config: FabricConfig | undefined;
  #device: OverlayDevice | undefined;
  #peers: PeerSync | undefined;
  #keeper: LeaseKeeper | undefined;
  #watch: FabricWatch | undefined;
  #timers: NodeJS.Timeout[] = [];
  #phase: FabricPhase = "starting";
  #fenced = false;
  #fenceReason: string | undefined;
  #lastRenewal = 0;
  #renewFailures = 0;
  #conflicts = 0;
  #takenReported: string | undefined;
  #lastError: string | undefined;
  #stopped = false;
  #reclaiming = false;
  #relisting = false;
  #claimedOnce: Promise<void>;
  #resolveClaimed: () => void = () => {};

  constructor(o: FabricAgentOptions) {
    this.#o = o;
    this.#mac = vtepMac(o.publicIP);
    this.#state = loadAgentState(o.dataDir, o.nodeName);
    this.#claimedOnce = new Promise((r) => {
      this.#resolveClaimed = r;
    });
  }

  /** Resolves once the first claim succeeded. */
  get claimed(): Promise<void> {
    return this.#claimedOnce;
  }

  /** Starts in the background; never throws (problems show in status()). */
  start(): void {
    void this.#bringUp();
  }

  async #bringUp(): Promise<void> {
    const retry = this.#o.retryMs ?? 1000;
    while (!this.#stopped) {
      try {
        const config = await this.#o.store.readConfig();
        if (!config) {
          this.#setPhase("no-config", "the fabric has no config yet: run `quantumctl fabric init`");
          await sleep(retry);
          continue;
        }
        this.#config = config;
        this.#ensureDevice(config);
        if (await this.#claim()) break;
      } catch (e) {
        this.#lastError = errorText(e);
        this.#o.log.warn({ err: this.#lastError }, "fabric: bring-up step failed, retrying");
      }
      await sleep(retry);
    }
    if (this.#stopped) return;
    await this.#relist("start");
    const resync = setInterval(() => void this.#resync(), this.#o.resyncMs ?? 300_000);
    resync.unref();
    const ttlMs = (this.#config?.ttlSeconds ?? 60) * 1000;
    const fence = setInterval(() => this.#checkFence(), Math.max(100, ttlMs / 8));
    fence.unref();
    this.#timers.push(resync, fence);
  }

  #ensureDevice(c: FabricConfig): void {
    if (this.#device) return;
    const device = new OverlayDevice(this.#o.rtnl, {
      name: this.#o.vxlanName ?? `qvx${c.backend.vni}`,
      vni: c.backend.vni,
      port: c.backend.port,
      publicIP: this.#o.publicIP,
      vtepMac: this.#mac,
    });
    device.ensure();
    this.#device = device;
    const intervalMs = (c.ttlSeconds * 1000) / 4;
    this.#peers = new PeerSync(device, () => this.#state.subnet, this.#o.deleteGraceMs ?? 2 * intervalMs, this.#o.log);
  }

  #setPhase(p: FabricPhase, why?: string): void {
    if (p !== this.#phase) this.#o.log.info({ phase: p, why }, "fabric phase");
    this.#phase = p;
  }

  #record(config: FabricConfig, subnet: string): SubnetRecord {
    const v6Subnet = v6SubnetFor(config, subnet);
    return {
      ...(v6Subnet ? { v6Subnet } : {}),
      node: this.#o.nodeName,
      nodeUid: this.#state.nodeUid,
      publicIP: this.#o.publicIP,
      vtepMac: this.#mac,
      vni: config.backend.vni,
      mtu: this.#device?.mtu ?? 0,
      claimedAt: new Date().toISOString(),
    };
  }

  /** One claim attempt (resume, rebind or new claim); true once we own a subnet on a live lease. */
  async #claim(): Promise<boolean> {
    const config = this.#config;
    if (!config) return false;
    const store = this.#o.store;
    const node = this.#o.nodeName;
    const l = await store.list();
    const mine = l.nodes.get(node);
    if (mine) {
      if (mine.value.nodeUid !== this.#state.nodeUid) {
        this.#setPhase(
          "name-in-use",
          `nodes/${node} belongs to another daemon (uid ${mine.value.nodeUid}); waiting for it to expire`,
        );
        return false;
      }
      const sub = l.subnets.get(mine.value.subnet);
      if (!sub || sub.value.node !== node) {
        this.#setPhase(
          "name-in-use",
          `nodes/${node} names ${mine.value.subnet}, which is not ours: waiting for it to expire`,
        );
        return false;
      }
      // Restart within the TTL: our keys are alive. Same lease and same attributes → resume, no writes.
      const rec = this.#record(config, mine.value.subnet);
      const same =
        sub.value.publicIP === rec.publicIP &&
        sub.value.vtepMac === rec.vtepMac &&
        sub.value.mtu === rec.mtu &&
        sub.value.v6Subnet === rec.v6Subnet;
      if (same && this.#state.leaseId === sub.lease && (await store.leaseTtl(sub.lease)) > 0) {
        this.#o.log.info(
          { subnet: mine.value.subnet, lease: sub.lease },
          "fabric: resumed the lease of the previous run",
        );
        await this.#owned(mine.value.subnet, sub.lease, config);
        return true;
      }
      const lease = await store.grant(config.ttlSeconds);
      const ok = await store.rebind({
        cidr: mine.value.subnet,
        node,
        nodeModRevision: mine.modRevision,
        subnetModRevision: sub.modRevision,
        nodeRecord: mine.value,
        subnetRecord: same ? sub.value : rec,
        lease: lease.id,
      });
      if (!ok) {
        await store.revoke(lease.id);
        return false;
      }
      // The keys have moved off the old lease: revoking it deletes nothing.
      await store.revoke(sub.lease).catch(() => undefined);
      this.#o.log.info({ subnet: mine.value.subnet, lease: lease.id }, "fabric: re-bound our subnet to a new lease");
      await this.#owned(mine.value.subnet, lease.id, config);
      return true;
    }
    this.#noticeTaken(l);
    const choice = chooseSubnet(config, l, node, this.#state.subnet);
    if (!choice) {
      this.#setPhase("pool-exhausted", `every subnet of ${config.network} is taken or quarantined`);
      return false;
    }
    const lease = await store.grant(config.ttlSeconds);
    const outcome = await store.claim({
      cidr: choice.subnet,
      node,
      nodeRecord: { subnet: choice.subnet, nodeUid: this.#state.nodeUid },
      subnetRecord: this.#record(config, choice.subnet),
      lease: lease.id,
      ...(choice.releasedModRevision ? { releasedModRevision: choice.releasedModRevision } : {}),
    });
    if (!outcome.won) {
      await store.revoke(lease.id);
      this.#o.log.info({ subnet: choice.subnet, owner: outcome.owner?.node }, "fabric: lost a claim race, retrying");
      return false;
    }
    if (this.#state.subnet && this.#state.subnet !== choice.subnet) {
      this.#o.log.error(
        { previous: this.#state.subnet, subnet: choice.subnet },
        "fabric: moved to a new subnet; pods in the previous one must be recreated",
      );
    }
    this.#o.log.info({ subnet: choice.subnet, lease: lease.id }, "fabric: claimed a subnet");
    await this.#owned(choice.subnet, lease.id, config);
    return true;
  }

  /** Our previous subnet is held by another node (split brain after a partition): count it once, keep fenced. */
  #noticeTaken(l: Listing): void {
    const prev = this.#state.subnet;
    const holder = prev ? l.subnets.get(prev)?.value : undefined;
    if (!prev || !holder || holder.nodeUid === this.#state.nodeUid || this.#takenReported === prev) return;
    this.#takenReported = prev;
    this.#conflicts++;
    this.#fenced = true;
    this.#fenceReason = `subnet ${prev} is now owned by ${holder.node}: pods in it must be recreated`;
    this.#o.log.error(
      { subnet: prev, owner: holder.node },
      "fabric: subnet conflict, our previous subnet was reassigned",
    );
    this.#writeLease();
  }

  async #owned(subnet: string, leaseId: string, config: FabricConfig): Promise<void> {
    this.#state = { ...this.#state, subnet, leaseId };
    saveAgentState(this.#o.dataDir, this.#state);
    this.#device?.setOwnSubnet(subnet, v6SubnetFor(config, subnet));
    this.#lastRenewal = Date.now();
    this.#fenced = false;
    this.#fenceReason = undefined;
    this.#writeLease();
    this.#setPhase("claimed");
    this.#keeper?.stop();
    this.#keeper = new LeaseKeeper(
      this.#o.store.cluster,
      leaseId,
      {
        renewed: () => this.#renewed(leaseId),
        gone: () => void this.#leaseGone(leaseId),
        failed: (errors) => {
          this.#renewFailures++;
          this.#lastError = errors.join("; ");
        },
      },
      { intervalMs: (config.ttlSeconds * 1000) / 4 },
    );
    this.#keeper.start();
    this.#resolveClaimed();
  }

  #writeLease(): void {
    const c = this.#config;
    const subnet = this.#state.subnet;
    if (!c || !subnet || !this.#device) return;
    const v6Subnet = v6SubnetFor(c, subnet);
    const lease: OverlayLease = {
      version: 1,
      node: this.#o.nodeName,
      subnet,
      gateway: subnetAddresses(subnet).gateway,
      ...(v6Subnet ? { v6Subnet, v6Gateway: v6SubnetAddresses(v6Subnet).gateway } : {}),
      network: c.network,
      mtu: this.#device.mtu,
      ttlSeconds: c.ttlSeconds,
      renewedAt: this.#lastRenewal,
      fenced: this.#fenced,
      ...(this.#fenceReason ? { fenceReason: this.#fenceReason } : {}),
    };
    try {
      writeOverlayLease(this.#o.leasePath, lease);
    } catch (e) {
      this.#o.log.error({ err: errorText(e), path: this.#o.leasePath }, "fabric: cannot write the overlay lease file");
    }
  }

  #renewed(leaseId: string): void {
    if (leaseId !== this.#state.leaseId) return;
    this.#lastRenewal = Date.now();
    this.#renewFailures = 0;
    if (this.#fenced) void this.#verifyAndUnfence();
    else this.#writeLease();
  }

  /** After a fence: the lease lives again, but is the subnet still ours? Read it linearizably. */
  async #verifyAndUnfence(): Promise<void> {
    const subnet = this.#state.subnet;
    if (!subnet) return;
    try {
      const e = await this.#o.store.getSubnet(subnet);
      if (
        e &&
        e.value.node === this.#o.nodeName &&
        e.value.nodeUid === this.#state.nodeUid &&
        e.lease === this.#state.leaseId
      ) {
        this.#fenced = false;
        this.#fenceReason = undefined;
        this.#o.log.info({ subnet }, "fabric: ownership re-verified, fence lifted");
        this.#writeLease();
      }
    } catch (e) {
      this.#lastError = errorText(e);
    }
  }

  #fence(reason: string): void {
    if (this.#fenced) return;
    this.#fenced = true;
    this.#fenceReason = reason;
    this.#o.log.error(
      { subnet: this.#state.subnet, reason },
      "fabric: self-fenced, no new pods until ownership is re-verified",
    );
    this.#writeLease();
  }

  #checkFence(): void {
    const ttlMs = (this.#config?.ttlSeconds ?? 60) * 1000;
    if (this.#phase === "claimed" && Date.now() - this.#lastRenewal > ttlMs) {
      this.#fence(
        `no lease renewal for ${Math.round((Date.now() - this.#lastRenewal) / 1000)} s (TTL ${ttlMs / 1000} s)`,
      );
    }
  }

  /** etcd says our lease is gone: our keys are deleted. Fence, then claim again (same subnet if still free). */
  async #leaseGone(leaseId: string): Promise<void> {
    if (leaseId !== this.#state.leaseId || this.#reclaiming) return;
    this.#reclaiming = true;
    this.#keeper?.stop();
    this.#fence("our lease expired in etcd");
    try {
      while (!this.#stopped) {
        try {
          if (await this.#claim()) break;
        } catch (e) {
          this.#lastError = errorText(e);
        }
        await sleep(this.#o.retryMs ?? 1000);
      }
      await this.#relist("re-claimed");
    } finally {
      this.#reclaiming = false;
    }
  }

  /** List, apply, then watch from the listing's revision + 1; retried until it works. */
  async #relist(reason: string): Promise<void> {
    if (this.#relisting) return;
    this.#relisting = true;
    try {
      while (!this.#stopped) {
        try {
          const l = await this.#o.store.list();
          this.#apply(l);
          this.#watch?.stop();
          const w = new FabricWatch(this.#o.store, l.revision, {
            put: (key, kv) => this.#onPut(key, kv),
            delete: (key) => this.#onDelete(key),
            broken: (why) => {
              this.#o.log.warn({ why }, "fabric: watch ended, re-listing");
              void this.#relist(why);
            },
          });
          this.#watch = w;
          await w.start();
          this.#o.log.info(
            { reason, revision: l.revision, peers: this.#peers?.peers().length },
            "fabric: listed and watching",
          );
          return;
        } catch (e) {
          this.#lastError = errorText(e);
          await sleep(this.#o.retryMs ?? 1000);
        }
      }
    } finally {
      this.#relisting = false;
    }
  }

  #apply(l: Listing): void {
    this.#peers?.replaceAll(peersOf(l));
    this.#checkOwn(l.subnets.get(this.#state.subnet ?? "")?.value);
  }

  /** Our subnet's record names someone else: split brain after a partition. */
  #checkOwn(rec: SubnetRecord | undefined): void {
    if (!rec || this.#phase !== "claimed") return;
    if (rec.node !== this.#o.nodeName || rec.nodeUid !== this.#state.nodeUid) {
      if (this.#takenReported !== this.#state.subnet) {
        this.#takenReported = this.#state.subnet;
        this.#conflicts++;
      }
      this.#fence(`subnet ${this.#state.subnet} is now owned by ${rec.node}`);
      void this.#leaseGone(this.#state.leaseId ?? "");
    }
  }

  #onPut(key: string, kv: IKeyValue): void {
    const what = this.#o.store.keys.parse(key);
    if (what?.kind !== "subnets") return;
    let rec: SubnetRecord;
    try {
      rec = JSON.parse(kv.value.toString()) as SubnetRecord;
    } catch {
      this.#o.log.warn({ key }, "fabric: unreadable subnet record ignored");
      return;
    }
    if (what.name === this.#state.subnet) {
      this.#checkOwn(rec);
      return;
    }
    this.#peers?.upsert({
      subnet: what.name,
      node: rec.node,
      publicIP: rec.publicIP,
      vtepMac: rec.vtepMac,
      ...(rec.v6Subnet ? { v6Subnet: rec.v6Subnet } : {}),
    });
  }

  #onDelete(key: string): void {
    const what = this.#o.store.keys.parse(key);
    if (what?.kind !== "subnets") return;
    if (what.name === this.#state.subnet) {
      // Our own claim vanished: the keeper will hear "lease gone"; do not wait for it to fence.
      if (this.#phase === "claimed") this.#fence(`our subnet ${what.name} was deleted in etcd`);
      return;
    }
    const owner = this.#peers?.peers().find((p) => p.subnet === what.name)?.node ?? "unknown";
    this.#peers?.deleted(what.name);
    const q = this.#config?.reuseQuarantineSeconds ?? 0;
    void this.#o.store
      .markReleased(what.name, { node: owner, at: new Date().toISOString() }, q)
      .catch((e) => this.#o.log.warn({ subnet: what.name, err: errorText(e) }, "fabric: quarantine mark failed"));
  }

  async #resync(): Promise<void> {
    if (this.#stopped || this.#relisting) return;
    try {
      this.#apply(await this.#o.store.list());
    } catch (e) {
      // etcd unreachable: keep every route as it is.
      this.#lastError = errorText(e);
    }
    this.#peers?.reconcileKernel();
  }

  status(): FabricStatus {
    const now = Date.now();
    const c = this.#config;
    const intervalMs = ((c?.ttlSeconds ?? 60) * 1000) / 4;
    return {
      node: this.#o.nodeName,
      nodeUid: this.#state.nodeUid,
      publicIP: this.#o.publicIP,
      vtepMac: this.#mac,
      phase: this.#phase,
      ...(this.#state.subnet && this.#phase === "claimed" ? { subnet: this.#state.subnet } : {}),
      ...(this.#state.leaseId && this.#phase === "claimed" ? { leaseId: this.#state.leaseId } : {}),
      ...(c ? { ttlSeconds: c.ttlSeconds } : {}),
      ...(this.#device ? { mtu: this.#device.mtu } : {}),
      ...(this.#lastRenewal
        ? { lastRenewal: new Date(this.#lastRenewal).toISOString(), renewalAgeMs: now - this.#lastRenewal }
        : {}),
      degraded: this.#lastRenewal > 0 && now - this.#lastRenewal > 2 * intervalMs,
      fenced: this.#fenced,
      ...(this.#fenceReason ? { fenceReason: this.#fenceReason } : {}),
      conflicts: this.#conflicts,
      etcdErrors: this.#o.store.cluster.errors + this.#renewFailures,
      peers: this.#peers?.peers() ?? [],
      peerCounters: this.#peers?.counters ?? { programmed: 0, removed: 0, repaired: 0, errors: 0 },
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
    };
  }

  /** Stops renewing and watching. The lease is NOT revoked: a restart within the TTL resumes it, peers see nothing. */
  stop(): void {
    this.#stopped = true;
    this.#phase = "stopped";
    this.#keeper?.stop();
    this.#watch?.stop();
    this.#peers?.stop();
    for (const t of this.#timers) clearInterval(t);
  }
}
