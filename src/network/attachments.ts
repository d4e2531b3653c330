import { type AllocatedIp, Allocator, IpamError, networkOfCidr } from "../ipam/index.js";
import { NftError, nftAvailable, Rtnl } from "../kernel/index.js";
import type { Attachment, Store } from "../store/index.js";
import { driverFor } from "./drivers.js";
import { AttachmentProblemsError, InterfaceExistsError } from "./errors.js";
import { detachFast, finishPendingDeletion } from "./fast-detach.js";
import { type NetworkNote, type ReconcileReport, reconcileStore } from "./reconcile.js";

export { AttachmentProblemsError } from "./errors.js";

import { Firewall } from "./firewall/index.js";
import type { AssignedIp, AttachRequest, AttachResult, DetachRequest, NetworkSpec, RouteSpec } from "./types.js";
import { StepError, UndoStack } from "./undo.js";

/** What an attachment record keeps beyond the addresses, so DEL/CHECK/GC need no prevResult. */
interface AttachmentDetails {
  ips: AssignedIp[];
  routes: RouteSpec[];
  interfaces: AttachResult["interfaces"];
  delegated: boolean;
}

/**
 * The per-container operations of a network: attach (ADD), detach (DEL), check (CHECK),
 * collect (GC) and readiness (STATUS). It orders the steps, keeps the store, the kernel and the
 * firewall in agreement, and unwinds a failed ADD completely.
 */
export class AttachmentService {
  readonly #store: Store;
  readonly #allocator: Allocator;
  readonly #firewall: Firewall;
  #host: Rtnl | undefined;

  constructor(store: Store, firewall = new Firewall()) {
    this.#store = store;
    this.#allocator = new Allocator(store);
    this.#firewall = firewall;
  }

  get #hostRtnl(): Rtnl {
    this.#host ??= Rtnl.open();
    return this.#host;
  }

  close(): void {
    this.#host?.close();
    this.#host = undefined;
  }

  attach(spec: NetworkSpec, req: AttachRequest): AttachResult {
    const driver = driverFor(spec.driver);
    const undo = new UndoStack();
    let step = "check the request";
    let ctr: Rtnl | undefined;
    try {
      this.#refuseDuplicate(spec, req);
      this.#finishPendingDeletions(req.containerId, req.ifname);
      ctr = openContainerSide(req);
      step = "allocate addresses";
      const ips = this.#reserve(spec, req, undo);
      step = "program the firewall for the network";
      // Layer 2 only (no addresses): nothing for the firewall to know about this container.
      const fwNet = ips.length > 0 ? firewallNetwork(spec, ips) : undefined;
      if (fwNet) this.#firewall.ensureNetwork(fwNet);
      step = "wire the container";
      const wired = driver.attach(this.#hostRtnl, ctr, spec, req, ips, undo);
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
          this.#firewall.addContainer(spec.id, element);
        } catch (err) {
          // The ruleset vanished although the store remembered it programmed: program it again.
          if (!(err instanceof NftError && err.isNotFound)) throw err;
          this.#firewall.ensureNetwork(fwNet);
          this.#firewall.addContainer(spec.id, element);
        }
        undo.push("remove firewall elements", () => this.#firewall.removeContainers(spec.id, [element]));
      }
      step = "record the attachment";
      const details: AttachmentDetails = {
        ips,
        routes,
        interfaces: wired.interfaces,
        delegated: !!req.delegatedIps,
      };
      this.#store.putAttachment({
        network: spec.name,
        containerId: req.containerId,
        ifname: req.ifname,
        netns: req.netnsPath,
        ...hostIf(wired.hostIfname),
        ips: ips.map((ip) => ip.address),
        result: details,
      });
      undo.commit();
      return { interfaces: wired.interfaces, ips, routes };
    } catch (err) {
      throw new StepError(step, err, undo.unwind());
    } finally {
      ctr?.close();
    }
  }

  #refuseDuplicate(spec: NetworkSpec, req: AttachRequest): void {
    if (this.#store.getAttachment(spec.name, req.containerId, req.ifname)) {
      // "duplicate" is what maps to CODE_DUPLICATE_ATTACHMENT (102), as host-local's duplicate allocation.
      throw new IpamError(
        "duplicate",
        `container "${req.containerId}" already has interface "${req.ifname}" on network "${spec.name}" (DEL it first)`,
      );
    }
  }

  #reserve(spec: NetworkSpec, req: AttachRequest, undo: UndoStack): AssignedIp[] {
    if (req.delegatedIps) return req.delegatedIps;
    const allocated = this.#allocator.allocate({
      network: spec.name,
      containerId: req.containerId,
      ifname: req.ifname,
      rangeSets: spec.subnets.map((s) => [s]),
      requested: req.requestedIps,
    });
    undo.push("release addresses", () => this.#allocator.release(spec.name, req.containerId, req.ifname));
    return allocated.map(toAssigned);
  }

  /** DEL: best effort and idempotent; every step runs, failures are reported together. */
  detach(spec: NetworkSpec, req: DetachRequest): void {
    const record = this.#store.getAttachment(spec.name, req.containerId, req.ifname);
    const failures: string[] = [];
    const attempt = (what: string, fn: () => void) => {
      try {
        fn();
      } catch (err) {
        failures.push(`${what}: ${(err as Error).message}`);
      }
    };
    attempt("remove the container's link", () =>
      driverFor(spec.driver).detach(this.#hostRtnl, spec, {
        containerId: req.containerId,
        ifname: req.ifname,
        ...(req.netnsPath ? { netnsPath: req.netnsPath } : {}),
        ...hostIf(record?.hostIfname),
      }),
    );
    const ips = record?.ips ?? this.#allocator.get(spec.name, req.containerId, req.ifname).map((a) => a.address);
    if (ips.length > 0) {
      attempt("remove firewall elements", () =>
        this.#firewall.removeContainers(spec.id, [
          { containerId: req.containerId, ifname: req.ifname, ips: ips.map(stripPrefix) },
        ]),
      );
    }
    attempt("release addresses", () => {
      this.#store.transaction(() => {
        this.#allocator.release(spec.name, req.containerId, req.ifname);
        this.#store.deleteAttachment(spec.name, req.containerId, req.ifname);
      });
    });
    if (failures.length > 0) throw new AttachmentProblemsError(failures, `DEL of ${req.containerId}/${req.ifname}`);
  }

  /** CHECK: the kernel, the store and the firewall against what ADD returned. */
  check(spec: NetworkSpec, req: DetachRequest, expected: { ips: AssignedIp[]; routes: RouteSpec[] }): void {
    const problems: string[] = [];
    const record = this.#store.getAttachment(spec.name, req.containerId, req.ifname);
    if (!record) problems.push(`no attachment recorded for ${req.containerId}/${req.ifname} on "${spec.name}"`);
    const details = record?.result as AttachmentDetails | undefined;
    if (record && !details?.delegated) {
      const reserved = this.#allocator.get(spec.name, req.containerId, req.ifname).map((a) => a.address);
      for (const ip of expected.ips) {
        if (!reserved.includes(ip.address)) problems.push(`address ${ip.address} has no reservation`);
      }
    }
    problems.push(
      ...driverFor(spec.driver).check(
        this.#hostRtnl,
        spec,
        {
          containerId: req.containerId,
          ifname: req.ifname,
          ...(req.netnsPath ? { netnsPath: req.netnsPath } : {}),
          ...hostIf(record?.hostIfname),
        },
        expected.ips,
        expected.routes,
      ),
    );
    const addrs = plain(expected.ips);
    if (addrs.length > 0 && !this.#firewall.hasContainer(spec.id, addrs)) {
      problems.push(`firewall elements for ${addrs.join(", ")} are missing`);
    }
    if (problems.length > 0) throw new AttachmentProblemsError(problems, `CHECK of ${req.containerId}/${req.ifname}`);
  }

  /** GC: frees every attachment of the network not listed as valid; continues past errors. */
  collect(spec: NetworkSpec, valid: { containerId: string; ifname: string }[]): string[] {
    const keep = new Set(valid.map((v) => `${v.containerId}\u0000${v.ifname}`));
    const isValid = (cid: string, ifname: string) => keep.has(`${cid}\u0000${ifname}`);
    const failures: string[] = [];
    const stale: Attachment[] = this.#store.listAttachments(spec.name).filter((a) => !isValid(a.containerId, a.ifname));
    for (const a of stale) {
      try {
        // GC may assume the netns are gone: remove by the host end only, never inside a path that may be reused.
        driverFor(spec.driver).detach(this.#hostRtnl, spec, {
          containerId: a.containerId,
          ifname: a.ifname,
          ...hostIf(a.hostIfname),
        });
      } catch (err) {
        failures.push(`link of ${a.containerId}/${a.ifname}: ${(err as Error).message}`);
      }
    }
    const orphans = this.#store.listReservations(spec.name).filter((r) => !isValid(r.containerId, r.ifname));
    const items = new Map<string, { containerId: string; ifname: string; ips: string[] }>();
    for (const a of stale)
      items.set(`${a.containerId}/${a.ifname}`, {
        containerId: a.containerId,
        ifname: a.ifname,
        ips: a.ips.map(stripPrefix),
      });
    for (const r of orphans) {
      const key = `${r.containerId}/${r.ifname}`;
      const item = items.get(key) ?? { containerId: r.containerId, ifname: r.ifname, ips: [] };
      if (!item.ips.includes(r.ip)) item.ips.push(r.ip);
      items.set(key, item);
    }
    if (items.size > 0) {
      try {
        this.#firewall.removeContainers(spec.id, [...items.values()]);
      } catch (err) {
        failures.push(`firewall: ${(err as Error).message}`);
      }
    }
    try {
      this.#store.transaction(() => {
        for (const item of items.values()) {
          this.#allocator.release(spec.name, item.containerId, item.ifname);
          this.#store.deleteAttachment(spec.name, item.containerId, item.ifname);
        }
      });
    } catch (err) {
      failures.push(`store: ${(err as Error).message}`);
    }
    return failures;
  }

  /**
   * DEL fast path (daemon): releases the firewall elements and the reservation, records the link
   * for deletion and returns the deletion to run after answering; undefined when nothing is attached.
   */
  detachFast(
    spec: NetworkSpec,
    req: { containerId: string; ifname: string; netnsPath: string },
    deferRelease: boolean,
  ): (() => void) | undefined {
    const deps = { store: this.#store, firewall: this.#firewall, hostRtnl: () => this.#hostRtnl };
    return detachFast(deps, spec, req, deferRelease);
  }

  /**
   * A daemon that died between answering a fast DEL and deleting the link leaves a pending
   * deletion: finish it before the same container's interface is created again.
   */
  #finishPendingDeletions(containerId: string, ifname: string): void {
    for (const p of this.#store.listPendingLinkDeletions()) {
      if (p.containerId !== containerId || p.ifname !== ifname) continue;
      finishPendingDeletion(this.#hostRtnl, p);
      this.#store.removePendingLinkDeletion(p.id);
    }
  }

  /** Repairs what the store and the kernel disagree on (see reconcile.ts). */
  reconcile(dataDir: string, graceMs: number, sleep: (ms: number) => void): ReconcileReport {
    return reconcileStore(
      { store: this.#store, firewall: this.#firewall, host: this.#hostRtnl, graceMs, sleep },
      dataDir,
    );
  }

  /** Attachments and reservations per network (metrics). */
  stats(): Record<string, { attachments: number; reserved: number }> {
    const out: Record<string, { attachments: number; reserved: number }> = {};
    const of = (network: string) => {
      out[network] ??= { attachments: 0, reserved: 0 };
      return out[network];
    };
    for (const n of this.#store.listNetworks()) of(n.name);
    for (const a of this.#store.listAttachments()) of(a.network).attachments++;
    for (const r of this.#store.listReservations()) of(r.network).reserved++;
    return out;
  }

  /** Records a network this store serves once, so reconcile can find ports left by a dead ADD. */
  noteNetwork(spec: NetworkSpec): void {
    if (this.#store.getNetwork(spec.name)) return;
    const note: NetworkNote = { source: "quantumd", id: spec.id, driver: spec.driver, bridge: spec.bridge };
    this.#store.putNetwork({ name: spec.name, spec: note });
  }

  /** STATUS: reasons ADD cannot be served now; empty = ready. */
  readiness(spec: NetworkSpec): string[] {
    const reasons: string[] = [];
    if (spec.notReady) reasons.push(spec.notReady);
    if (!nftAvailable()) reasons.push("nftables (nft) is not installed: firewall isolation cannot be programmed");
    if (spec.subnets.length > 0) {
      for (const u of this.#allocator.usage(
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

/**
 * A bad CNI_NETNS or an ifname already present in it fails the ADD before any address, bridge or
 * firewall state is taken (the reference bridge also checks both before running IPAM). The socket
 * opened here is the one the driver configures the container with.
 */
function openContainerSide(req: AttachRequest): Rtnl {
  const ctr = Rtnl.open(req.netnsPath);
  if (ctr.getLink(req.ifname)) {
    ctr.close();
    throw new InterfaceExistsError(req.ifname, req.netnsPath);
  }
  return ctr;
}

function toAssigned(a: AllocatedIp): AssignedIp {
  return { address: a.address, family: a.family, ...(a.gateway ? { gateway: a.gateway } : {}) };
}

function stripPrefix(cidr: string): string {
  return cidr.split("/")[0] ?? cidr;
}

function plain(ips: AssignedIp[]): string[] {
  return ips.map((ip) => stripPrefix(ip.address));
}

function hostIf(name: string | undefined): { hostIfname?: string } {
  return name ? { hostIfname: name } : {};
}

function firewallNetwork(spec: NetworkSpec, ips: AssignedIp[]) {
  const subnets =
    spec.subnets.length > 0
      ? spec.subnets.map((s) => s.subnet)
      : ips.map((ip) => networkOfCidr(ip.address) ?? ip.address);
  return { id: spec.id, bridge: spec.bridge, subnets, isolation: spec.isolation, ipMasq: spec.ipMasq };
}
