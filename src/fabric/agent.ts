// The fabric agent in quantumd: claims this node's subnet, keeps the lease alive with our own loop,
// self-fences when it cannot renew for a TTL, watches the peers and programs them on the vxlan, and
// reconciles kernel against etcd periodically (multihost.md §4.3–4.7). ADD/DEL never wait on it: it
// publishes the claim in a local lease file that the overlay driver reads.
import type { Rtnl } from "../kernel/index.js";
import type { OverlayLease } from "../network/index.js";
import { claimOnce } from "./claim.js";
import { errorText } from "./etcd-cluster.js";
import type { FabricStore } from "./fabric-store.js";
import { LeaseKeeper } from "./lease-keeper.js";
import { OverlayDevice } from "./overlay-device.js";
import { PeerFeed } from "./peer-feed.js";
import { PeerSync } from "./peer-sync.js";
import { type AgentState, loadAgentState, saveAgentState, writeOverlayLease } from "./state-files.js";
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

export type FabricPhase =
  | "starting"
  | "no-config"
  | "name-in-use"
  | "pool-exhausted"
  | "claimed"
  /** Our lease is gone (expired, or our subnet is someone else's): claiming again. */
  | "reclaiming"
  | "stopped";

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

export class FabricAgent {
  readonly #o: FabricAgentOptions;
  readonly #mac: string;
  #state: AgentState;
  #config: FabricConfig | undefined;
  #device: OverlayDevice | undefined;
  #peers: PeerSync | undefined;
  #keeper: LeaseKeeper | undefined;
  #feed: PeerFeed | undefined;
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
    await this.#feed?.relist("start");
    const resync = setInterval(() => void this.#feed?.resync(), this.#o.resyncMs ?? 300_000);
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
    this.#feed = new PeerFeed(
      this.#o.store,
      this.#peers,
      {
        ownSubnet: () => this.#state.subnet,
        ownRecord: (rec) => this.#checkOwn(rec),
        ownDeleted: (subnet) => {
          // Our claim vanished: the keeper will hear "lease gone"; do not wait for it to fence.
          if (this.#phase === "claimed") this.#fence(`our subnet ${subnet} was deleted in etcd`);
        },
        quarantineSeconds: () => this.#config?.reuseQuarantineSeconds ?? 0,
        error: (text) => {
          this.#lastError = text;
        },
      },
      this.#o.log,
      this.#o.retryMs ?? 1000,
    );
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

  /** Claim attempts (claim.ts); a lost race is retried at once, a few times. True once we own a subnet. */
  async #claim(): Promise<boolean> {
    for (let attempt = 0; attempt < 5 && !this.#stopped; attempt++) {
      const r = await this.#claimOnce();
      if (r !== "retry") return r === "owned";
    }
    return false;
  }

  async #claimOnce(): Promise<"owned" | "wait" | "retry"> {
    const config = this.#config;
    if (!config) return "wait";
    const { result, taken } = await claimOnce({
      store: this.#o.store,
      config,
      node: this.#o.nodeName,
      nodeUid: this.#state.nodeUid,
      previousSubnet: this.#state.subnet,
      previousLease: this.#state.leaseId,
      record: (subnet) => this.#record(config, subnet),
    });
    if (taken) this.#noticeTaken(taken.subnet, taken.owner);
    if (result.kind === "wait") {
      this.#setPhase(result.phase, result.why);
      return "wait";
    }
    if (result.kind === "retry") {
      this.#o.log.info({ why: result.why }, "fabric: claim attempt failed, retrying");
      return "retry";
    }
    if (this.#state.subnet && this.#state.subnet !== result.subnet) {
      this.#o.log.error(
        { previous: this.#state.subnet, subnet: result.subnet },
        "fabric: moved to a new subnet; pods in the previous one must be recreated",
      );
    }
    const how = {
      resumed: "resumed the lease of the previous run",
      rebound: "re-bound our subnet to a new lease",
      claimed: "claimed a subnet",
    };
    this.#o.log.info({ subnet: result.subnet, lease: result.leaseId }, `fabric: ${how[result.how]}`);
    await this.#owned(result.subnet, result.leaseId, config);
    return "owned";
  }

  /** Our previous subnet is held by another node (split brain after a partition): count it once, keep fenced. */
  #noticeTaken(subnet: string, owner: string): void {
    if (this.#takenReported === subnet) return;
    this.#takenReported = subnet;
    this.#conflicts++;
    this.#fenced = true;
    this.#fenceReason = `subnet ${subnet} is now owned by ${owner}: pods in it must be recreated`;
    this.#o.log.error({ subnet, owner }, "fabric: subnet conflict, our previous subnet was reassigned");
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
    this.#setPhase("reclaiming", "our lease is gone");
    try {
      while (!this.#stopped) {
        try {
          if (await this.#claim()) break;
        } catch (e) {
          this.#lastError = errorText(e);
        }
        await sleep(this.#o.retryMs ?? 1000);
      }
      await this.#feed?.relist("re-claimed");
    } finally {
      this.#reclaiming = false;
    }
  }

  /** Our subnet's record names someone else: split brain after a partition. */
  #checkOwn(rec: SubnetRecord): void {
    if (this.#phase !== "claimed") return;
    if (rec.node !== this.#o.nodeName || rec.nodeUid !== this.#state.nodeUid) {
      if (this.#takenReported !== this.#state.subnet) {
        this.#takenReported = this.#state.subnet;
        this.#conflicts++;
      }
      this.#fence(`subnet ${this.#state.subnet} is now owned by ${rec.node}`);
      void this.#leaseGone(this.#state.leaseId ?? "");
    }
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
    this.#feed?.stop();
    this.#peers?.stop();
    for (const t of this.#timers) clearInterval(t);
  }
}
