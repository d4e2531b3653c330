// The dataplane of one data dir: the store, the allocator over it, the firewall and the host's
// netlink socket, and the per-container verbs on them: add (ADD), del (DEL), check (CHECK),
// gc (GC), status (STATUS), the daemon's delFast and reconcile, and the audit quantumctl doctor
// shows. It orders the steps, keeps the store, the kernel and the firewall in agreement, and
// unwinds a failed ADD completely. Built only by openDataplane (open-dataplane.ts).
import { type AllocatedIp, Allocator, addressOfCidr, IpamError } from "../ipam/index.js";
import { NftError, type Rtnl } from "../kernel/index.js";
import { type Attachment, countAttachmentsAt, type Store } from "../store/index.js";
import { HOLDER_IFNAME, isDockerHolder } from "./docker/docker-dataplane.js";
import { type DriverTable, driverFor } from "./drivers.js";
import { AttachmentProblemsError, InterfaceExistsError, NetworkNotReadyError, Problem } from "./errors.js";
import { detachFast, finishPendingDeletion } from "./fast-detach.js";
import { commentOwnerId } from "./firewall/index.js";
import { firewallNetwork } from "./firewall-network.js";
import { allowLocalhostHostPorts, hostPortMappings, recordedHostPorts, recordHasHostPorts } from "./host-ports.js";
import { adoptFromKernel, type RecoverableNetwork, type RecoveryReport } from "./kernel-recovery.js";
import type { DeferredLinkDeletion } from "./link-deletion.js";
import { type AuditDeps, auditNetworks, type Finding, type RepairReport, repairFindings } from "./network-audit.js";
import { defaultBridgeName, networkId } from "./network-ids.js";
import type { NetworkClaim, NetworkRegistry } from "./network-registry.js";
import type { FirewallPort, KernelPort } from "./ports.js";
import { type NetworkNote, reconcileStore } from "./reconcile.js";
import { DEFAULT_STALE_ATTACHMENT_GRACE_MS, type ReconcileReport } from "./reconcile-report.js";
import {
  type AssignedIp,
  type AttachRequest,
  type AttachResult,
  type DetachRequest,
  NetworkDriverType,
  type NetworkSpec,
  type RouteSpec,
} from "./types.js";
import { StepError, UndoStack } from "./undo.js";
import { VirtualNetworkManager } from "./virtual-network-manager.js";

/** What a dataplane is made of; openDataplane assembles the real parts, tests hand in fakes. */
export interface DataplaneParts {
  /** Where the store lives (reports name it); undefined for a store handed in without one. */
  dataDir?: string;
  store: Store;
  /** Close the store with the dataplane. */
  ownsStore: boolean;
  firewall: FirewallPort;
  kernel: KernelPort;
  drivers: DriverTable;
  /**
   * The host-wide network registry (opened on first use), or undefined where there is no host to
   * protect (a dataplane over a fake kernel, or over a store without a data dir).
   */
  registry?: () => NetworkRegistry;
}

/** What an attachment record keeps beyond the addresses, so DEL/CHECK/GC need no prevResult. */
interface AttachmentDetails {
  ips: AssignedIp[];
  routes: RouteSpec[];
  interfaces: AttachResult["interfaces"];
  delegated: boolean;
  /** Number of host port mappings programmed (DEL removes them when > 0). */
  hostPorts?: number;
}

/** The parts of a network the host-wide registry looks at (a NetworkSpec, or quantumctl's Network). */
type ClaimedSpec = { name: string; driver: string; bridge?: string | undefined; subnets: { subnet: string }[] };

export class Dataplane {
  readonly dataDir: string | undefined;
  readonly store: Store;
  readonly allocator: Allocator;
  readonly firewall: FirewallPort;
  readonly kernel: KernelPort;
  readonly #drivers: DriverTable;
  readonly #ownsStore: boolean;
  readonly #registry: (() => NetworkRegistry) | undefined;
  #host: Rtnl | undefined;
  /** Networks whose live containers were already looked for in the kernel (once per process). */
  readonly #adoptionDone = new Set<string>();
  #networks: VirtualNetworkManager | undefined;

  constructor(parts: DataplaneParts) {
    this.dataDir = parts.dataDir;
    this.store = parts.store;
    this.allocator = new Allocator(parts.store);
    this.firewall = parts.firewall;
    this.kernel = parts.kernel;
    this.#drivers = parts.drivers;
    this.#ownsStore = parts.ownsStore;
    this.#registry = parts.registry;
  }

  /**
   * Registers the network host-wide (see network-registry.ts) before anything of it is built.
   * @throws NetworkConflictError when another live network has its bridge, overlaps its address
   *   space, or has its name with another bridge, subnet or data dir
   */
  claimNetwork(spec: ClaimedSpec): boolean {
    if (!this.#registry || this.dataDir === undefined) return false;
    return this.#registry().claim(
      this.#claimOf(spec),
      (other) => this.#isLive(other),
      (dead) => {
        if (dead.name !== spec.name && this.kernel.nftAvailable()) this.firewall.removeNetwork(networkId(dead.name));
      },
    );
  }

  /**
   * A network with no attachment in this store may have live containers the store forgot (a
   * deleted or replaced store): they are adopted from the kernel before any address is handed out.
   */
  #adoptLiveContainers(spec: NetworkSpec): void {
    if (this.#adoptionDone.has(spec.name)) return;
    if (this.store.listAttachments(spec.name).length === 0) {
      adoptFromKernel(this.#recoveryDeps(), [{ name: spec.name, id: spec.id, subnets: spec.subnets }]);
    }
    this.#adoptionDone.add(spec.name);
  }

  /**
   * Adopts every live, unrecorded container of the networks this data dir serves (those the
   * host-wide registry names with this data dir, plus `extra`): quantumctl store recover.
   */
  recoverFromKernel(extra: RecoverableNetwork[] = []): RecoveryReport {
    const known = new Map(extra.map((n) => [n.name, n]));
    if (this.#registry && this.dataDir !== undefined) {
      for (const e of this.#registry().list()) {
        if (e.dataDir !== this.dataDir || known.has(e.name)) continue;
        known.set(e.name, { name: e.name, id: networkId(e.name), subnets: e.subnets.map((subnet) => ({ subnet })) });
      }
    }
    return adoptFromKernel(this.#recoveryDeps(), [...known.values()]);
  }

  #recoveryDeps() {
    return {
      store: this.store,
      host: this.host,
      kernel: this.kernel,
      ...(this.kernel.nftAvailable() ? { firewall: this.firewall } : {}),
    };
  }

  /** What the registry records of a network: the bridge only where the driver has one. */
  #claimOf(spec: ClaimedSpec): NetworkClaim {
    const bridged = spec.driver === NetworkDriverType.Bridge;
    return {
      name: spec.name,
      driver: spec.driver,
      bridge: bridged ? (spec.bridge ?? defaultBridgeName(spec.name)) : "",
      subnets: spec.subnets.map((s) => s.subnet),
      dataDir: this.dataDir ?? "",
    };
  }

  /** Undoes the registration a failed ADD made, unless the network is in use (NetworkRegistry.release). */
  #releaseClaim(spec: ClaimedSpec): void {
    if (!this.#registry || this.dataDir === undefined) return;
    this.#registry().release(this.#claimOf(spec), (other) => this.store.listAttachments(other.name).length > 0);
  }

  /** Drops the network's registration (its deletion); no-op without a registry. */
  forgetNetwork(name: string): void {
    if (this.#registry && this.dataDir !== undefined) this.#registry().forget(name);
  }

  /** A registered network is live while its bridge exists here or its store has attachments. */
  #isLive(other: { name: string; bridge: string; dataDir: string }): boolean {
    if (other.bridge !== "" && this.host.getLink(other.bridge)) return true;
    if (other.dataDir === this.dataDir) return this.store.listAttachments(other.name).length > 0;
    try {
      return (countAttachmentsAt(other.dataDir, other.name) ?? 0) > 0;
    } catch {
      // A store we cannot read may hold live containers: keep protecting them.
      return true;
    }
  }

  /** The host netns's netlink socket, opened on first use and kept. */
  get host(): Rtnl {
    this.#host ??= this.kernel.openHost();
    return this.#host;
  }

  /** The networks of this dataplane's store (VirtualNetworkManager over the same parts). */
  get networks(): VirtualNetworkManager {
    this.#networks ??= new VirtualNetworkManager(this);
    return this.#networks;
  }

  close(): void {
    this.#host?.close();
    this.#host = undefined;
    if (this.#ownsStore) this.store.close();
  }

  #driver(spec: NetworkSpec) {
    return driverFor(spec.driver, this.#drivers);
  }

  /** ADD. Any failure unwinds every step done so far. */
  add(spec: NetworkSpec, req: AttachRequest): AttachResult {
    const driver = this.#driver(spec);
    const undo = new UndoStack();
    let step = "check the request";
    let ctr: Rtnl | undefined;
    try {
      // Before anything is taken: an overlay network without its node's lease has no addresses to give.
      if (spec.notReady) throw new NetworkNotReadyError(spec.name, spec.notReady);
      this.store.verify?.();
      if (this.claimNetwork(spec)) undo.push("release the network's registration", () => this.#releaseClaim(spec));
      this.#adoptLiveContainers(spec);
      this.#refuseDuplicate(spec, req);
      this.#finishPendingDeletions(req.containerId, req.ifname);
      ctr = this.#openContainerSide(req);
      step = "allocate addresses";
      const ips = this.#reserve(spec, req, undo);
      // Refused host ports (wrong driver, isolated network) fail before anything is wired.
      step = "check host ports";
      const hostPorts = hostPortMappings(spec, req.hostPorts ?? [], ips);
      step = "program the firewall for the network";
      // Layer 2 only (no addresses): nothing for the firewall to know about this container.
      const fwNet = ips.length > 0 ? firewallNetwork(spec, ips) : undefined;
      if (fwNet) this.firewall.ensureNetwork(fwNet);
      step = "wire the container";
      const wired = driver.attach(this.host, ctr, spec, req, ips, undo);
      const routes = wired.routes;
      step = "add the container to the firewall";
      const element = {
        containerId: req.containerId,
        ifname: req.ifname,
        ips: plain(ips),
        ...hostIf(wired.hostIfname),
      };
      if (fwNet) {
        try {
          this.firewall.addContainer(spec.id, element);
        } catch (err) {
          // The ruleset vanished although the store remembered it programmed: program it again.
          if (!(err instanceof NftError && err.isNotFound)) throw err;
          this.firewall.ensureNetwork(fwNet);
          this.firewall.addContainer(spec.id, element);
        }
        undo.push("remove firewall elements", () => this.firewall.removeContainers(spec.id, [element]));
      }
      step = "map host ports";
      if (hostPorts.length > 0) {
        const owner = { containerId: req.containerId, ifname: req.ifname };
        this.firewall.addHostPorts(owner, hostPorts);
        undo.push("remove host ports", () => void this.firewall.removeHostPorts(owner));
        allowLocalhostHostPorts(spec, hostPorts);
      }
      step = "record the attachment";
      const details: AttachmentDetails = {
        ips,
        routes,
        interfaces: wired.interfaces,
        delegated: !!req.delegatedIps,
        ...(hostPorts.length > 0 ? { hostPorts: hostPorts.length } : {}),
      };
      this.store.putAttachment({
        network: spec.name,
        containerId: req.containerId,
        ifname: req.ifname,
        netns: req.netnsPath,
        ...hostIf(wired.hostIfname),
        ips: ips.map((ip) => ip.address),
        result: details,
        ...(req.pod ? { pod: req.pod } : {}),
      });
      undo.commit();
      return { interfaces: wired.interfaces, ips, routes };
    } catch (err) {
      throw new StepError(step, err, undo.unwind());
    } finally {
      ctr?.close();
    }
  }

  /**
   * A bad CNI_NETNS or an ifname already present in it fails the ADD before any address, bridge or
   * firewall state is taken (the reference bridge also checks both before running IPAM). The socket
   * opened here is the one the driver configures the container with.
   */
  #openContainerSide(req: AttachRequest): Rtnl {
    const ctr = this.kernel.openNetns(req.netnsPath);
    if (ctr.getLink(req.ifname)) {
      ctr.close();
      throw new InterfaceExistsError(req.ifname, req.netnsPath);
    }
    return ctr;
  }

  #refuseDuplicate(spec: NetworkSpec, req: AttachRequest): void {
    if (this.store.getAttachment(spec.name, req.containerId, req.ifname)) {
      // "duplicate" is what maps to CODE_DUPLICATE_ATTACHMENT (102), as host-local's duplicate allocation.
      throw new IpamError(
        "duplicate",
        `container "${req.containerId}" already has interface "${req.ifname}" on network "${spec.name}" (DEL it first)`,
      );
    }
  }

  /**
   * Reserves the addresses and records the attachment (without its links yet) in one
   * transaction, undone in one: a disk that fills up, or a crash, between the two can never leave
   * a reservation without its attachment record. The record is completed at the end of ADD.
   */
  #reserve(spec: NetworkSpec, req: AttachRequest, undo: UndoStack): AssignedIp[] {
    if (req.delegatedIps) return req.delegatedIps;
    const ips = this.store.transaction(() => {
      const allocated = this.allocator
        .allocate({
          network: spec.name,
          containerId: req.containerId,
          ifname: req.ifname,
          rangeSets: spec.subnets.map((s) => [s]),
          requested: req.requestedIps,
        })
        .map(toAssigned);
      this.store.putAttachment({
        network: spec.name,
        containerId: req.containerId,
        ifname: req.ifname,
        netns: req.netnsPath,
        ips: cidrsOf(allocated),
        result: { ips: allocated, routes: [], interfaces: [], delegated: false, pending: true },
      });
      return allocated;
    });
    undo.push("release addresses", () =>
      this.store.transaction(() => {
        this.allocator.release(spec.name, req.containerId, req.ifname);
        this.store.deleteAttachment(spec.name, req.containerId, req.ifname);
      }),
    );
    return ips;
  }

  /** DEL: best effort and idempotent; every step runs, failures are reported together. */
  del(spec: NetworkSpec, req: DetachRequest): void {
    // An attachment adopted from the kernel for an id too long for the link alias is keyed by its hash.
    const hashed = commentOwnerId(req.containerId);
    const record =
      this.store.getAttachment(spec.name, req.containerId, req.ifname) ??
      (hashed !== req.containerId ? this.store.getAttachment(spec.name, hashed, req.ifname) : null);
    const failures: Problem[] = [];
    const attempt = (what: string, fn: () => void) => {
      try {
        fn();
      } catch (err) {
        failures.push(new Problem(what, err));
      }
    };
    attempt("remove the container's link", () =>
      this.#driver(spec).detach(this.host, spec, {
        containerId: req.containerId,
        ifname: req.ifname,
        ...(req.netnsPath ? { netnsPath: req.netnsPath } : {}),
        ...hostIf(record?.hostIfname),
      }),
    );
    if (recordHasHostPorts(record?.result)) {
      attempt("remove host ports", () => void this.firewall.removeHostPorts(req));
    }
    const ips = record?.ips ?? this.allocator.get(spec.name, req.containerId, req.ifname).map((a) => a.address);
    if (ips.length > 0) {
      attempt("remove firewall elements", () =>
        this.firewall.removeContainers(spec.id, [
          { containerId: req.containerId, ifname: req.ifname, ips: ips.map(addressOfCidr) },
        ]),
      );
    }
    attempt("release addresses", () => {
      this.store.transaction(() => {
        for (const id of new Set([req.containerId, record?.containerId ?? req.containerId])) {
          this.allocator.release(spec.name, id, req.ifname);
          this.store.deleteAttachment(spec.name, id, req.ifname);
        }
      });
    });
    if (failures.length > 0) throw new AttachmentProblemsError(failures, `DEL of ${req.containerId}/${req.ifname}`);
  }

  /** CHECK: the kernel, the store and the firewall against what ADD returned. */
  check(spec: NetworkSpec, req: DetachRequest, expected: { ips: AssignedIp[]; routes: RouteSpec[] }): void {
    const problems: Problem[] = [];
    const found = (what: string) => problems.push(new Problem(what));
    const record = this.store.getAttachment(spec.name, req.containerId, req.ifname);
    if (!record) found(`no attachment recorded for ${req.containerId}/${req.ifname} on "${spec.name}"`);
    const details = record?.result as AttachmentDetails | undefined;
    if (record && !details?.delegated) {
      const reserved = this.allocator.get(spec.name, req.containerId, req.ifname).map((a) => a.address);
      for (const ip of expected.ips) {
        if (!reserved.includes(ip.address)) found(`address ${ip.address} has no reservation`);
      }
    }
    for (const finding of this.#driver(spec).check(
      this.host,
      spec,
      {
        containerId: req.containerId,
        ifname: req.ifname,
        ...(req.netnsPath ? { netnsPath: req.netnsPath } : {}),
        ...hostIf(record?.hostIfname),
      },
      expected.ips,
      expected.routes,
    ))
      found(finding);
    const addrs = plain(expected.ips);
    if (addrs.length > 0 && !this.firewall.hasContainer(spec.id, addrs)) {
      found(`firewall elements for ${addrs.join(", ")} are missing`);
    }
    const hostPorts = recordedHostPorts(record?.result);
    if (hostPorts > 0) {
      const present = this.firewall
        .listHostPorts()
        .filter((e) => e.containerId === req.containerId && e.ifname === req.ifname).length;
      if (present !== hostPorts) found(`host ports: ${present} of ${hostPorts} mappings are in the firewall`);
    }
    if (problems.length > 0) throw new AttachmentProblemsError(problems, `CHECK of ${req.containerId}/${req.ifname}`);
  }

  /**
   * GC: frees every attachment of the network not listed as valid; continues past errors.
   * @throws AttachmentProblemsError listing every step that failed
   */
  gc(spec: NetworkSpec, valid: { containerId: string; ifname: string }[]): void {
    const keep = new Set(valid.map((v) => `${v.containerId}\u0000${v.ifname}`));
    const isValid = (cid: string, ifname: string) => keep.has(`${cid}\u0000${ifname}`);
    const failures: Problem[] = [];
    // Docker's address holders are Docker's to free (its ReleaseAddress), never a CNI runtime's GC.
    const stale: Attachment[] = this.store
      .listAttachments(spec.name)
      .filter((a) => !isValid(a.containerId, a.ifname) && !isDockerHolder(a));
    for (const a of stale) {
      try {
        // GC may assume the netns are gone: remove by the host end only, never inside a path that may be reused.
        this.#driver(spec).detach(this.host, spec, {
          containerId: a.containerId,
          ifname: a.ifname,
          ...hostIf(a.hostIfname),
        });
      } catch (err) {
        failures.push(new Problem(`link of ${a.containerId}/${a.ifname}`, err));
      }
      if (recordHasHostPorts(a.result)) {
        try {
          this.firewall.removeHostPorts(a);
        } catch (err) {
          failures.push(new Problem(`host ports of ${a.containerId}/${a.ifname}`, err));
        }
      }
    }
    const orphans = this.store
      .listReservations(spec.name)
      .filter((r) => !isValid(r.containerId, r.ifname) && r.ifname !== HOLDER_IFNAME);
    const items = new Map<string, { containerId: string; ifname: string; ips: string[] }>();
    for (const a of stale)
      items.set(`${a.containerId}/${a.ifname}`, {
        containerId: a.containerId,
        ifname: a.ifname,
        ips: a.ips.map(addressOfCidr),
      });
    for (const r of orphans) {
      const key = `${r.containerId}/${r.ifname}`;
      const item = items.get(key) ?? { containerId: r.containerId, ifname: r.ifname, ips: [] };
      if (!item.ips.includes(r.ip)) item.ips.push(r.ip);
      items.set(key, item);
    }
    if (items.size > 0) {
      try {
        this.firewall.removeContainers(spec.id, [...items.values()]);
      } catch (err) {
        failures.push(new Problem("firewall", err));
      }
    }
    try {
      this.store.transaction(() => {
        for (const item of items.values()) {
          this.allocator.release(spec.name, item.containerId, item.ifname);
          this.store.deleteAttachment(spec.name, item.containerId, item.ifname);
        }
      });
    } catch (err) {
      failures.push(new Problem("store", err));
    }
    if (failures.length > 0) throw new AttachmentProblemsError(failures, `GC of network "${spec.name}"`);
  }

  /**
   * DEL fast path (daemon): releases the firewall elements and the reservation, records the link
   * for deletion and returns the deletion to finish after answering (alone, or with others through
   * deleteLinksTogether); undefined when nothing is attached.
   */
  delFast(
    spec: NetworkSpec,
    req: { containerId: string; ifname: string; netnsPath: string },
    deferRelease: boolean,
  ): DeferredLinkDeletion | undefined {
    return detachFast(this.#fastDelDeps(), spec, req, deferRelease);
  }

  #fastDelDeps() {
    return {
      store: this.store,
      firewall: this.firewall,
      kernel: this.kernel,
      hostRtnl: () => this.host,
      driver: (spec: NetworkSpec) => this.#driver(spec),
    };
  }

  /**
   * A daemon that died between answering a fast DEL and deleting the link leaves a pending
   * deletion: finish it before the same container's interface is created again.
   */
  #finishPendingDeletions(containerId: string, ifname: string): void {
    for (const p of this.store.listPendingLinkDeletions()) {
      if (p.containerId !== containerId || p.ifname !== ifname) continue;
      finishPendingDeletion(this.kernel, this.host, p);
      this.store.removePendingLinkDeletion(p.id);
    }
  }

  /** Repairs what the store and the kernel disagree on (see reconcile.ts). */
  reconcile(
    graceMs: number,
    sleep: (ms: number) => void,
    staleGraceMs: number = DEFAULT_STALE_ATTACHMENT_GRACE_MS,
  ): ReconcileReport {
    const report = reconcileStore({ ...this.#auditDeps(), graceMs, sleep, staleGraceMs }, this.dataDir ?? "");
    // Live containers the store forgot are recorded again, never removed.
    const adopted = this.recoverFromKernel();
    report.items.push(...adopted.adopted.map((a) => `adopted ${a}`));
    report.errors.push(...adopted.problems);
    return report;
  }

  /** Store against kernel and firewall, read-only: what quantumctl doctor reports. */
  audit(): Finding[] {
    return auditNetworks(this.#auditDeps());
  }

  /** Removes what each finding describes (quantumctl gc --local). */
  repair(findings: Finding[]): RepairReport {
    const report = repairFindings(this.#auditDeps(), findings);
    if (findings.some((f) => f.kind === "unrecorded-container")) {
      // Adopted, not deleted: the store learns them again from the kernel.
      const adopted = this.recoverFromKernel();
      report.errors.push(...adopted.problems);
      report.repaired.push(
        ...findings.filter((f) => f.kind === "unrecorded-container" && f.link && adopted.links.includes(f.link)),
      );
    }
    return report;
  }

  #auditDeps(): AuditDeps {
    return {
      store: this.store,
      host: this.host,
      kernel: this.kernel,
      ...(this.kernel.nftAvailable() ? { firewall: this.firewall } : {}),
    };
  }

  /** Attachments (in all and per pod namespace, "" for none) and reservations per network (metrics). */
  stats(): Record<string, { attachments: number; reserved: number; namespaces: Record<string, number> }> {
    const out: Record<string, { attachments: number; reserved: number; namespaces: Record<string, number> }> = {};
    const of = (network: string) => {
      out[network] ??= { attachments: 0, reserved: 0, namespaces: {} };
      return out[network];
    };
    for (const n of this.store.listNetworks()) of(n.name);
    for (const a of this.store.listAttachments()) {
      const s = of(a.network);
      s.attachments++;
      const ns = a.pod?.namespace ?? "";
      s.namespaces[ns] = (s.namespaces[ns] ?? 0) + 1;
    }
    for (const r of this.store.listReservations()) of(r.network).reserved++;
    return out;
  }

  /** Records a network this store serves once, so reconcile can find ports left by a dead ADD. */
  noteNetwork(spec: NetworkSpec): void {
    if (this.store.getNetwork(spec.name)) return;
    const note: NetworkNote = { source: "quantumd", id: spec.id, driver: spec.driver, bridge: spec.bridge };
    this.store.putNetwork({ name: spec.name, spec: note });
  }

  /** STATUS: reasons ADD cannot be served now; empty = ready. */
  status(spec: NetworkSpec): string[] {
    const reasons: string[] = [...(this.store.health?.() ?? [])];
    if (spec.notReady) reasons.push(spec.notReady);
    if (!this.kernel.nftAvailable())
      reasons.push("nftables (nft) is not installed: firewall isolation cannot be programmed");
    if (spec.subnets.length > 0) {
      for (const u of this.allocator.usage(
        spec.name,
        spec.subnets.map((s) => [s]),
      )) {
        if (u.used >= u.capacity)
          reasons.push(`address pool ${u.subnets.join(",")} is exhausted (${u.used} of ${u.capacity} in use)`);
      }
    }
    return reasons;
  }
}

function cidrsOf(ips: AssignedIp[]): string[] {
  return ips.map((ip) => ip.address);
}

function toAssigned(a: AllocatedIp): AssignedIp {
  return { address: a.address, family: a.family, ...(a.gateway ? { gateway: a.gateway } : {}) };
}

function plain(ips: AssignedIp[]): string[] {
  return ips.map((ip) => addressOfCidr(ip.address));
}

function hostIf(name: string | undefined): { hostIfname?: string } {
  return name ? { hostIfname: name } : {};
}
