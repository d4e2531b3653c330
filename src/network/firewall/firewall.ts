/**
 * The firewall of Quantum CNI: applies ruleset.ts's scripts with nft, one transaction per call.
 * Per container only set elements change (~5 ms per ADD); deletions are batched because every
 * delete transaction costs ~20 ms whatever its size (kernel-notes.md).
 */
import { NftError, type NftOptions, nftApply, nftListJson } from "../../kernel/nftables.js";
import {
  addHostPortsScript,
  HOSTPORT,
  type HostPortMapping,
  type HostPortOwner,
  hostPortElement,
  removeHostPortKeysScript,
} from "./hostports.js";
import { type HostPortElement, parseHostPortElements } from "./hostports-parse.js";
import { DEFAULT_TABLE, networkNames, STATIC } from "./names.js";
import { hasRuleComment, parseNetworks, parseSetElements } from "./parse.js";
import {
  addContainerScript,
  ensureNetworkScript,
  removeContainersScript,
  removeNetworkScript,
  removeTableScript,
} from "./ruleset.js";
import type {
  FirewallContainer,
  FirewallContainerRef,
  FirewallElement,
  FirewallNetwork,
  FirewallNetworkRef,
} from "./types.js";
import { checkIp, checkNetId, checkTableName } from "./validate.js";

/** How the firewall reaches nft; injected by tests to count transactions or fake failures. */
export interface NftRunner {
  apply(script: string, o: NftOptions): void;
  listJson(args: string[], o: NftOptions): unknown;
}

export const defaultNftRunner: NftRunner = { apply: nftApply, listJson: nftListJson };

/**
 * Where the marker of the ruleset a network was last programmed with is remembered across
 * processes (the store), so a short-lived plugin process skips the `nft list` check on every ADD.
 * If the kernel lost the ruleset anyway, adding an element fails with "not found", the marker is
 * forgotten and the caller ensures again.
 */
export interface FirewallMarkerCache {
  get(netId: string): string | null;
  set(netId: string, marker: string): void;
  forget(netId: string): void;
}

export interface FirewallOptions {
  /** Our table's name in family inet; default "quantum". Tests use their own. */
  table?: string;
  /** The netns whose ruleset we manage; default the caller's. */
  netnsPath?: string;
  nft?: NftRunner;
  markers?: FirewallMarkerCache;
}

export class Firewall {
  readonly table: string;
  private readonly o: NftOptions;
  private readonly nft: NftRunner;
  /** netId → marker of the ruleset this process last applied or found, to skip the kernel check. */
  private readonly ensured = new Map<string, string>();
  /**
   * netId → the network description whose ruleset `ensured` holds the marker of. Building the
   * script to compute its marker costs more than the rest of an ADD's firewall work, so a warm
   * process compares descriptions first.
   */
  private readonly ensuredInput = new Map<string, string>();
  private readonly markers: FirewallMarkerCache | undefined;

  constructor(o: FirewallOptions = {}) {
    this.table = checkTableName(o.table ?? DEFAULT_TABLE);
    this.o = o.netnsPath === undefined ? {} : { netnsPath: o.netnsPath };
    this.nft = o.nft ?? defaultNftRunner;
    this.markers = o.markers;
  }

  /**
   * Creates or refreshes a network's chains, sets and map elements. Idempotent and safe to call
   * on every ADD, from several processes at once: when the kernel already holds this exact ruleset
   * (its marker), nothing is applied; otherwise one atomic flush-and-refill transaction is.
   * @returns true when a transaction was applied.
   */
  ensureNetwork(net: FirewallNetwork): boolean {
    const input = JSON.stringify(net);
    if (this.ensured.has(net.id) && this.ensuredInput.get(net.id) === input) return false;
    const { script, marker } = ensureNetworkScript(this.table, net);
    if (this.ensured.get(net.id) === marker) {
      this.ensuredInput.set(net.id, input);
      return false;
    }
    if (this.markers?.get(net.id) === marker || this.hasMarker(net.id, marker)) {
      this.remember(net.id, marker, input);
      return false;
    }
    this.apply(script, `ensure network ${net.id} (bridge ${JSON.stringify(net.bridge)})`);
    this.remember(net.id, marker, input);
    return true;
  }

  /**
   * Adds a container's addresses to its network's sets (the network must be ensured). An address
   * still present from an earlier owner is taken over, so its comment names this container.
   */
  addContainer(netId: string, c: FirewallContainer): void {
    const what = `add container ${c.containerId} (${c.ifname}) to network ${netId}`;
    const fast = addContainerScript(this.table, netId, c, "create");
    if (fast === "") return;
    try {
      this.nft.apply(fast, this.o);
      return;
    } catch (err) {
      if (!(err instanceof NftError && /File exists/.test(err.stderr))) {
        this.forgetOnNotFound(netId, err);
        throw this.wrap(err, what);
      }
    }
    try {
      this.nft.apply(addContainerScript(this.table, netId, c, "replace"), this.o);
    } catch (err) {
      this.forgetOnNotFound(netId, err);
      throw this.wrap(err, what);
    }
  }

  /**
   * Removes the addresses of any number of containers in ONE transaction. Addresses already gone,
   * and a network already removed, are not errors.
   */
  removeContainers(netId: string, items: readonly FirewallContainerRef[]): void {
    const script = removeContainersScript(this.table, netId, items);
    if (script === "") return;
    try {
      this.nft.apply(script, this.o);
    } catch (err) {
      if (err instanceof NftError && err.isNotFound && !this.networkExists(netId)) return;
      const n = items.length;
      throw this.wrap(err, `remove ${n} container${n === 1 ? "" : "s"} from network ${netId}`);
    }
  }

  /**
   * True when every address is an element of the network's sets (CNI CHECK). One `get element`
   * per family looks up just these addresses: as fast with 1000 containers as with one, where
   * listing the sets grew with every container.
   */
  hasContainer(netId: string, ips: readonly string[]): boolean {
    const n = networkNames(checkNetId(netId));
    const v4: string[] = [];
    const v6: string[] = [];
    for (const ip of ips) {
      const c = checkIp(ip);
      (c.family === 4 ? v4 : v6).push(c.ip);
    }
    for (const [set, list] of [
      [n.addrs4, v4],
      [n.addrs6, v6],
    ] as const) {
      if (list.length === 0) continue;
      try {
        this.nft.apply(`get element inet ${this.table} ${set} { ${list.join(", ")} }\n`, this.o);
      } catch (err) {
        // An address, the set or our table missing all read "No such file or directory".
        if (err instanceof NftError && err.isNotFound) return false;
        throw this.wrap(err, `look up ${list.join(", ")} in network ${netId}`);
      }
    }
    return true;
  }

  /** The network's address elements with their owners (for CHECK and GC); [] when the network is absent. */
  listContainerElements(netId: string): FirewallElement[] {
    const n = networkNames(checkNetId(netId));
    const out: FirewallElement[] = [];
    for (const [name, family] of [
      [n.addrs4, 4],
      [n.addrs6, 6],
    ] as const) {
      const json = this.listOrNull(["set", "inet", this.table, name]);
      if (json !== null) out.push(...parseSetElements(json, name, family));
    }
    return out;
  }

  /**
   * Adds a container's host ports (the network must be ensured: it creates the maps), all or none.
   * @throws Error naming the host port and its current owner when one is taken.
   */
  addHostPorts(owner: HostPortOwner, mappings: readonly HostPortMapping[]): void {
    const script = addHostPortsScript(`inet ${this.table}`, owner, mappings);
    if (script === "") return;
    try {
      this.nft.apply(script, this.o);
    } catch (err) {
      const taken = err instanceof NftError && /File exists/.test(err.stderr) ? this.takenHostPorts(mappings) : [];
      // The conflict alone says it all (callers add which ADD it was).
      if (taken.length > 0) throw new Error(taken.join("; "), { cause: err });
      throw this.wrap(err, `map host ports of ${owner.containerId}/${owner.ifname}`);
    }
  }

  /** Removes every host port the container owns (by element comment), in one transaction. */
  removeHostPorts(owner: HostPortOwner): number {
    const mine = this.listHostPorts().filter((e) => e.containerId === owner.containerId && e.ifname === owner.ifname);
    const script = removeHostPortKeysScript(`inet ${this.table}`, mine);
    if (script === "") return 0;
    this.apply(script, `remove host ports of ${owner.containerId}/${owner.ifname}`);
    return mine.length;
  }

  /** Every host port element of every network; [] when our table does not exist. */
  listHostPorts(): HostPortElement[] {
    return [HOSTPORT.v4, HOSTPORT.v4ip, HOSTPORT.v6, HOSTPORT.v6ip].flatMap((map) => {
      const json = this.listOrNull(["map", "inet", this.table, map]);
      return json === null ? [] : parseHostPortElements(json, map);
    });
  }

  /** Who holds each of the mappings' host ports, as messages (for the error of a conflicting ADD). */
  private takenHostPorts(mappings: readonly HostPortMapping[]): string[] {
    const held = new Map(this.listHostPorts().map((e) => [`${e.map} ${e.key}`, e]));
    return mappings.flatMap((m) => {
      const e = hostPortElement(m);
      const owner = held.get(`${e.map} ${e.key}`);
      if (!owner) return [];
      const on = m.hostIp ? `${m.hostIp}:` : "";
      return [
        `host port ${on}${m.hostPort}/${m.protocol} is already mapped to ${owner.value} (${owner.containerId}/${owner.ifname})`,
      ];
    });
  }

  /** Removes the network's chains, sets and map elements in one transaction. @returns false if absent. */
  removeNetwork(netId: string): boolean {
    checkNetId(netId);
    this.ensured.delete(netId);
    this.markers?.forget(netId);
    const ref = this.listNetworks().find((n) => n.id === netId);
    if (ref === undefined) return false;
    try {
      this.nft.apply(removeNetworkScript(this.table, netId, ref.bridge), this.o);
    } catch (err) {
      // Another process may have removed it between our listing and our transaction.
      if (err instanceof NftError && err.isNotFound && !this.networkExists(netId)) return false;
      throw this.wrap(err, `remove network ${netId} (bridge ${JSON.stringify(ref.bridge)})`);
    }
    return true;
  }

  /** The networks present in the kernel's ruleset; [] when our table does not exist. */
  listNetworks(): FirewallNetworkRef[] {
    const json = this.listOrNull(["map", "inet", this.table, STATIC.fwdFrom]);
    return json === null ? [] : parseNetworks(json);
  }

  /** Deletes our whole table (uninstall, tests). Idempotent. */
  removeAll(): void {
    this.ensured.clear();
    this.apply(removeTableScript(this.table), `remove table inet ${this.table}`);
  }

  private hasMarker(netId: string, marker: string): boolean {
    const json = this.listOrNull(["chain", "inet", this.table, networkNames(netId).from]);
    return json !== null && hasRuleComment(json, marker);
  }

  private networkExists(netId: string): boolean {
    return this.listNetworks().some((n) => n.id === netId);
  }

  /** A listing, or null when the object (or our table) does not exist. */
  private listOrNull(args: string[]): unknown {
    try {
      return this.nft.listJson(args, this.o);
    } catch (err) {
      if (err instanceof NftError && err.isNotFound) return null;
      throw err;
    }
  }

  private remember(netId: string, marker: string, input: string): void {
    this.ensured.set(netId, marker);
    this.ensuredInput.set(netId, input);
    if (this.markers?.get(netId) !== marker) this.markers?.set(netId, marker);
  }

  private forgetOnNotFound(netId: string, err: unknown): void {
    // The table or the network's sets vanished under us: the next ensureNetwork must re-check.
    if (err instanceof NftError && err.isNotFound) {
      this.ensured.delete(netId);
      this.markers?.forget(netId);
    }
  }

  private apply(script: string, what: string): void {
    try {
      this.nft.apply(script, this.o);
    } catch (err) {
      throw this.wrap(err, what);
    }
  }

  private wrap(err: unknown, what: string): Error {
    const msg = err instanceof Error ? err.message : String(err);
    if (err instanceof NftError) {
      return new NftError(`${what}: ${msg}`, err.args, err.stderr, err.exitCode, err.netnsPath, { cause: err });
    }
    return new Error(`${what}: ${msg}`, { cause: err });
  }
}
