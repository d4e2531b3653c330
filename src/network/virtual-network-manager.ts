// VirtualNetworkManager: networks as first-class objects. A network is defined once (name, subnets,
// gateway, driver, isolation, ...), validated, and persisted in the store; the plugin and the daemon
// then serve CNI requests for it from its generated conflist. Creating a network touches no kernel
// state (the bridge and firewall objects appear with the first container); deleting one detaches
// what is left when forced and removes the network's bridge and firewall objects, in the calling
// process's network namespace (the one the plugin runs in).
import { LinkNotFoundError } from "../kernel/index.js";
import type { Attachment, Store } from "../store/index.js";
import type { Dataplane } from "./dataplane.js";
import { AttachmentProblemsError, Problem } from "./errors.js";
import { defaultBridgeName, networkId } from "./network-ids.js";
import { networkSpec } from "./network-spec.js";
import {
  checkDriver,
  checkGateway,
  checkInterfaceName,
  checkIsolation,
  defaultGateway,
  InvalidNetworkError,
  NetworkExistsError,
  NetworkInUseError,
  NetworkNotFoundError,
  type ParsedSubnet,
  parseSubnet,
  SubnetOverlapError,
  subnetsOverlap,
  validateNetworkName,
} from "./network-validation.js";
import { openDataplane } from "./open-dataplane.js";
import {
  type IsolationLevel,
  MACVLAN_MODES,
  type MacvlanMode,
  type NetworkDns,
  NetworkDriverType,
  type NetworkSpec,
  type RouteSpec,
} from "./types.js";

/** One address range of a network, with its gateway (always set: the first host by default). */
export interface NetworkSubnet {
  subnet: string;
  gateway: string;
}

/** A network as VirtualNetworkManager keeps it. */
export interface Network {
  name: string;
  /** Short stable id (hex) used in firewall object names. */
  id: string;
  driver: NetworkDriverType;
  isolation: IsolationLevel;
  /** The primary subnet (the one given to createNetwork). */
  subnet: string;
  /** The primary subnet's gateway. */
  gateway: string;
  /** Every subnet, primary first: at most one IPv4 and one IPv6. */
  subnets: NetworkSubnet[];
  /** Routes for containers; default: a default route per family via its gateway. */
  routes: RouteSpec[];
  dns?: NetworkDns;
  /** Bridge driver: the host bridge. */
  bridge?: string;
  /** Macvlan driver: the parent interface and mode. */
  master?: string;
  macvlanMode?: MacvlanMode;
  mtu?: number;
  /** Masquerade traffic leaving the network. */
  ipMasq: boolean;
  /** Free-form metadata (not interpreted). */
  labels: Record<string, string>;
  /** ISO-8601 UTC. */
  createdAt: string;
}

export interface CreateNetworkOptions {
  /** More subnets, of the other address family (dual-stack); their gateway is their first host. */
  subnets?: string[];
  /** Bridge driver: the bridge's name (default `qbr-<name>`, or a hash when too long). */
  bridge?: string;
  /** Macvlan driver: the parent interface (required). */
  master?: string;
  /** Macvlan driver: default "bridge" (sub-interfaces of one parent reach each other). */
  macvlanMode?: MacvlanMode;
  mtu?: number;
  /** Default: a default route per family via the gateway. */
  routes?: RouteSpec[];
  dns?: NetworkDns;
  /** Default false. */
  ipMasq?: boolean;
  labels?: Record<string, string>;
}

export interface DeleteNetworkOptions {
  /** Detach remaining containers (and release their addresses) instead of refusing. Default false. */
  force?: boolean;
}

/** What deleteNetwork did. */
export interface DeleteNetworkResult {
  name: string;
  /** "containerId/ifname" of each attachment detached (forced deletion). */
  detached: string[];
  /** Address reservations released besides the detached attachments'. */
  released: number;
  firewallRemoved: boolean;
  bridgeRemoved: boolean;
  /** Things left alone, e.g. a bridge that still has foreign ports. */
  warnings: string[];
}

export interface VirtualNetworkManagerOptions {
  /** nftables table (default "quantum", as the plugin); with a store given instead of a dataplane. */
  firewallTable?: string;
  /** Close the store on close() (default false: the caller owns it); with a store given. */
  closeStore?: boolean;
}

/** The store record's `spec`: tagged, so records other writers keep in the same table are told apart. */
interface StoredNetwork {
  kind: typeof RECORD_KIND;
  version: 1;
  network: Network;
}
const RECORD_KIND = "quantum.network";

function isStoredNetwork(spec: unknown): spec is StoredNetwork {
  return (
    typeof spec === "object" &&
    spec !== null &&
    (spec as StoredNetwork).kind === RECORD_KIND &&
    typeof (spec as StoredNetwork).network === "object"
  );
}

/**
 * Creates, lists and deletes networks. Methods are async so a remote store can stand behind the
 * same API later; with SQLite they complete synchronously inside.
 */
export class VirtualNetworkManager {
  readonly #dataplane: Dataplane;
  /** Set when this manager opened its dataplane itself (and so closes it). */
  #ownsDataplane: boolean;

  /**
   * Over a dataplane (what `Dataplane.networks` and CniManager hand out), or over a store, for
   * which it opens a dataplane of its own (closed with the store when `closeStore`).
   */
  constructor(source: Dataplane | Store, options: VirtualNetworkManagerOptions = {}) {
    if (isDataplane(source)) {
      this.#dataplane = source;
      this.#ownsDataplane = false;
    } else {
      this.#dataplane = openDataplane(
        { store: source, ownsStore: options.closeStore ?? false },
        options.firewallTable ? { firewallTable: options.firewallTable } : {},
      );
      this.#ownsDataplane = true;
    }
  }

  /** A manager over `<dataDir>/quantum.db`, which it closes on close(). */
  static open(dataDir: string, options: VirtualNetworkManagerOptions = {}): VirtualNetworkManager {
    const vnm = new VirtualNetworkManager(
      openDataplane(dataDir, options.firewallTable ? { firewallTable: options.firewallTable } : {}),
    );
    vnm.#ownsDataplane = true;
    return vnm;
  }

  get store(): Store {
    return this.#dataplane.store;
  }

  get #store(): Store {
    return this.#dataplane.store;
  }

  close(): void {
    if (this.#ownsDataplane) this.#dataplane.close();
  }

  /**
   * Defines a network and persists it.
   * @param gateway default: the subnet's first host address
   * @throws InvalidNetworkError (bad name, subnet, gateway, driver, isolation or option),
   *   SubnetOverlapError, NetworkExistsError
   */
  async createNetwork(
    name: string,
    subnet: string,
    gateway: string | undefined | null,
    driver: NetworkDriverType | `${NetworkDriverType}`,
    isolation: IsolationLevel | `${IsolationLevel}`,
    options: CreateNetworkOptions = {},
  ): Promise<Network> {
    const network = buildNetwork(name, subnet, gateway ?? undefined, driver, isolation, options);
    return this.#store.transaction(() => {
      const existing = this.#store.getNetwork(network.name);
      if (existing && isStoredNetwork(existing.spec)) throw new NetworkExistsError(network.name);
      const others = this.#list().filter((n) => n.name !== network.name);
      for (const mine of network.subnets) {
        const parsed = parseSubnet(mine.subnet);
        for (const other of others) {
          for (const theirs of other.subnets) {
            if (subnetsOverlap(parsed, parseSubnet(theirs.subnet))) {
              throw new SubnetOverlapError(mine.subnet, { network: other.name, subnet: theirs.subnet });
            }
          }
        }
      }
      if (network.bridge) {
        const clash = others.find((o) => o.bridge === network.bridge);
        if (clash) {
          throw new InvalidNetworkError(
            "bridge",
            `bridge "${network.bridge}" is already used by network "${clash.name}"`,
          );
        }
      }
      // Host-wide: no other network of this host (any data dir) may share the bridge or subnets.
      this.#dataplane.claimNetwork(network);
      const record: StoredNetwork = { kind: RECORD_KIND, version: 1, network };
      // A record another writer left (e.g. the daemon's note about a network it served) is replaced.
      this.#store.putNetwork({ name: network.name, spec: record, createdAt: network.createdAt });
      return structuredClone(network);
    });
  }

  /** The network, or null when there is none of that name. */
  async getNetwork(name: string): Promise<Network | null> {
    return this.#get(name);
  }

  /** Every network, by name. */
  async listNetworks(): Promise<Network[]> {
    return this.#list();
  }

  /** Attachments recorded by the plugin, of one network or all. */
  listAttachments(network?: string): Attachment[] {
    return this.#store.listAttachments(network);
  }

  /**
   * Deletes a network: refused while containers are attached unless forced; forced deletion
   * detaches each one as DEL would (link, firewall elements, addresses). Then the network's
   * firewall objects and its bridge (when no port is left on it) are removed, and the record.
   * @throws NetworkNotFoundError, NetworkInUseError, or an Error listing what could not be
   *   detached (the network is then kept, so the call can be retried).
   */
  async deleteNetwork(name: string, options: DeleteNetworkOptions = {}): Promise<DeleteNetworkResult> {
    validateNetworkName(name);
    const network = this.#get(name);
    if (!network) throw new NetworkNotFoundError(name);
    const attachments = this.#store.listAttachments(name);
    const reservations = this.#store.listReservations(name);
    if (!options.force && (attachments.length > 0 || reservations.length > 0)) {
      throw new NetworkInUseError(
        name,
        attachments.map((a) => `${a.containerId}/${a.ifname}`),
        reservations.length,
      );
    }
    const result: DeleteNetworkResult = {
      name,
      detached: [],
      released: 0,
      firewallRemoved: false,
      bridgeRemoved: false,
      warnings: [],
    };
    const spec = toNetworkSpec(network);
    const failures: Error[] = [];
    if (attachments.length > 0 || reservations.length > 0) {
      const dp = this.#dataplane;
      for (const a of attachments) {
        try {
          dp.del(spec, { containerId: a.containerId, ifname: a.ifname, netnsPath: a.netns });
          result.detached.push(`${a.containerId}/${a.ifname}`);
        } catch (err) {
          failures.push(new Problem(`detach ${a.containerId}/${a.ifname}`, err));
        }
      }
      // Reservations no attachment owns (a half-made ADD): released as GC would.
      const left = this.#store.listReservations(name).length;
      try {
        dp.gc(spec, []);
      } catch (err) {
        failures.push(...(err instanceof AttachmentProblemsError ? err.problems : [err as Error]));
      }
      result.released = left - this.#store.listReservations(name).length;
    }
    if (failures.length > 0) {
      throw new AttachmentProblemsError(failures, `cannot delete network "${name}"`);
    }
    try {
      if (this.#dataplane.kernel.nftAvailable())
        result.firewallRemoved = this.#dataplane.firewall.removeNetwork(network.id);
    } catch (err) {
      throw new Error(`cannot delete network "${name}": firewall: ${(err as Error).message}`, { cause: err });
    }
    if (network.driver === NetworkDriverType.Bridge && network.bridge) {
      result.bridgeRemoved = this.#removeBridge(network.bridge, result.warnings);
    }
    this.#store.deleteNetwork(name);
    this.#dataplane.forgetNetwork(name);
    return result;
  }

  #get(name: string): Network | null {
    const rec = this.#store.getNetwork(name);
    return rec && isStoredNetwork(rec.spec) ? structuredClone(rec.spec.network) : null;
  }

  #list(): Network[] {
    return this.#store
      .listNetworks()
      .flatMap((r) => (isStoredNetwork(r.spec) ? [structuredClone(r.spec.network)] : []));
  }

  /** Deletes the bridge when it exists, is a bridge and has no port left. @returns true if deleted. */
  #removeBridge(bridge: string, warnings: string[]): boolean {
    const host = this.#dataplane.host;
    const link = host.getLink(bridge);
    if (!link) return false;
    if (link.kind !== "bridge") {
      warnings.push(`"${bridge}" is not a bridge (kind ${link.kind ?? "unknown"}): left alone`);
      return false;
    }
    const ports = host.listLinks().filter((l) => l.master === link.index);
    if (ports.length > 0) {
      warnings.push(`bridge "${bridge}" still has ports (${ports.map((p) => p.name).join(", ")}): left alone`);
      return false;
    }
    try {
      host.deleteLink(link.index);
    } catch (err) {
      if (err instanceof LinkNotFoundError) return false;
      throw err;
    }
    return true;
  }
}

/** Validates the inputs and builds the network (no store access). @throws InvalidNetworkError */
export function buildNetwork(
  name: string,
  subnet: string,
  gateway: string | undefined,
  driver: string,
  isolation: string,
  options: CreateNetworkOptions = {},
): Network {
  validateNetworkName(name);
  const type = checkDriver(driver);
  const level = checkIsolation(isolation);
  const primary = parseSubnet(subnet);
  const subnets: NetworkSubnet[] = [
    { subnet: primary.cidr, gateway: gateway === undefined ? defaultGateway(primary) : checkGateway(primary, gateway) },
  ];
  const families = new Set([primary.family]);
  for (const extra of options.subnets ?? []) {
    const parsed: ParsedSubnet = parseSubnet(extra, "subnets");
    if (families.has(parsed.family)) {
      throw new InvalidNetworkError("subnets", `at most one IPv${parsed.family} subnet per network (got "${extra}")`);
    }
    families.add(parsed.family);
    subnets.push({ subnet: parsed.cidr, gateway: defaultGateway(parsed) });
  }
  const network: Network = {
    name,
    id: networkId(name),
    driver: type,
    isolation: level,
    subnet: subnets[0]!.subnet,
    gateway: subnets[0]!.gateway,
    subnets,
    routes: options.routes
      ? options.routes.map((r) => ({ ...r }))
      : subnets.map((s) => ({ dst: s.subnet.includes(":") ? "::/0" : "0.0.0.0/0", gw: s.gateway })),
    ipMasq: options.ipMasq ?? false,
    labels: { ...(options.labels ?? {}) },
    createdAt: new Date().toISOString(),
  };
  if (options.dns) network.dns = structuredClone(options.dns);
  if (options.mtu !== undefined) {
    if (!Number.isInteger(options.mtu) || options.mtu < 68 || options.mtu > 65535) {
      throw new InvalidNetworkError("mtu", `invalid mtu ${options.mtu}: an integer from 68 to 65535`);
    }
    network.mtu = options.mtu;
  }
  if (type === NetworkDriverType.Bridge) {
    if (options.master !== undefined) {
      throw new InvalidNetworkError("master", '"master" applies to the macvlan driver only');
    }
    network.bridge =
      options.bridge === undefined ? defaultBridgeName(name) : checkInterfaceName("bridge", options.bridge);
  } else {
    if (options.bridge !== undefined)
      throw new InvalidNetworkError("bridge", '"bridge" applies to the bridge driver only');
    if (options.master === undefined) {
      throw new InvalidNetworkError("master", 'the macvlan driver needs a "master" (parent) interface');
    }
    network.master = checkInterfaceName("master", options.master);
    const mode = options.macvlanMode ?? "bridge";
    if (!MACVLAN_MODES.includes(mode)) {
      throw new InvalidNetworkError(
        "macvlanMode",
        `unknown macvlan mode "${mode}" (one of: ${MACVLAN_MODES.join(", ")})`,
      );
    }
    network.macvlanMode = mode;
  }
  for (const r of network.routes) {
    if (typeof r.dst !== "string" || !/\//.test(r.dst)) {
      throw new InvalidNetworkError("routes", `invalid route destination ${JSON.stringify(r.dst)}: not a CIDR`);
    }
  }
  return network;
}

/** The driver-level model of a network: its record through the one defaults function. */
export function toNetworkSpec(network: Network): NetworkSpec {
  return networkSpec({
    name: network.name,
    driver: network.driver,
    isolation: network.isolation,
    subnets: network.subnets.map((s) => ({ subnet: s.subnet, gateway: s.gateway })),
    routes: network.routes,
    ...(network.bridge !== undefined ? { bridge: network.bridge } : {}),
    ipMasq: network.ipMasq,
    ...(network.mtu !== undefined ? { mtu: network.mtu } : {}),
    ...(network.master !== undefined ? { master: network.master } : {}),
    ...(network.macvlanMode !== undefined ? { macvlanMode: network.macvlanMode } : {}),
    ...(network.dns !== undefined ? { dns: network.dns } : {}),
  });
}

function isDataplane(source: Dataplane | Store): source is Dataplane {
  return "networks" in source && "kernel" in source;
}
