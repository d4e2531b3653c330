// What the Docker remote driver (server/docker) asks of the dataplane: Docker's networks as quantum
// networks, its addresses from the same allocator and reservations a CNI ADD takes, and endpoints
// wired as the bridge driver wires a container (same bridge, gateway, firewall), except that the
// veth's other end stays in dockerd's netns for Docker to move. Built over one Dataplane, so the
// Docker and the CNI path share one store, firewall and host socket.
import type { AllocatedIp, Allocator } from "../../ipam/index.js";
import { addressOfCidr, formatIp, tryParseIp } from "../../ipam/index.js";
import {
  createHostVeth,
  ensureIptablesAccept,
  LinkNotFoundError,
  type Rtnl,
  randomVethName,
  removeIptablesAccept,
} from "../../kernel/index.js";
import type { Attachment, Store } from "../../store/index.js";
import { ensureBridge, ensureGatewayOnce } from "../bridge/ensure.js";
import type { Dataplane } from "../dataplane.js";
import { firewallNetwork } from "../firewall-network.js";
import { checkGateway, defaultGateway, parseSubnet, subnetsOverlap } from "../network-validation.js";
import type { FirewallPort } from "../ports.js";
import { IsolationLevel, NetworkDriverType, type NetworkSpec } from "../types.js";
import { UndoStack } from "../undo.js";
import { type Network, toNetworkSpec, type VirtualNetworkManager } from "../virtual-network-manager.js";

/** What a Docker network asks of a quantum network. */
export interface DockerNetworkSpec {
  name: string;
  subnets: { subnet: string; gateway: string }[];
  isolation: IsolationLevel;
  mtu?: number;
  bridge?: string;
  ipMasq: boolean;
  labels: Record<string, string>;
}

/** A canonical subnet with its family. @throws InvalidNetworkError saying why the text is not one */
export function canonicalSubnet(text: string, field: string): { cidr: string; family: 4 | 6 } {
  const s = parseSubnet(text, field);
  return { cidr: s.cidr, family: s.family };
}

/** "10.1.0.1/24" or "10.1.0.1" → canonical address text (as the store keeps it); null when not an address. */
export function plainAddress(text: string): string | null {
  const ip = tryParseIp(text.split("/")[0] ?? "");
  return ip ? formatIp(ip) : null;
}

/** The host end and the end Docker moves into the container. */
export interface WiredEndpoint {
  hostIfname: string;
  peerIfname: string;
}

export class DockerDataplane {
  readonly store: Store;
  readonly #dataplane: Dataplane;
  readonly #networks: VirtualNetworkManager;
  readonly #allocator: Allocator;
  readonly #firewall: FirewallPort;

  /** Over `dataplane`, which it closes on close(). */
  constructor(dataplane: Dataplane) {
    this.#dataplane = dataplane;
    this.store = dataplane.store;
    this.#firewall = dataplane.firewall;
    this.#networks = dataplane.networks;
    this.#allocator = dataplane.allocator;
  }

  close(): void {
    this.#dataplane.close();
  }

  get #rtnl(): Rtnl {
    return this.#dataplane.host;
  }

  transaction<T>(fn: () => T): T {
    return this.store.transaction(fn);
  }

  /** The quantum network (of any creator) whose subnet overlaps cidr, if any. */
  async overlapping(cidr: string): Promise<{ network: string; subnet: string } | undefined> {
    const mine = parseSubnet(cidr);
    for (const n of await this.#networks.listNetworks()) {
      for (const s of n.subnets) {
        if (subnetsOverlap(mine, parseSubnet(s.subnet))) return { network: n.name, subnet: s.subnet };
      }
    }
    return undefined;
  }

  getNetwork(name: string): Promise<Network | null> {
    return this.#networks.getNetwork(name);
  }

  /** Creates the quantum network. @throws InvalidNetworkError, SubnetOverlapError, NetworkExistsError */
  createNetwork(d: DockerNetworkSpec): Promise<Network> {
    const [primary, ...more] = d.subnets;
    if (!primary) throw new Error(`network "${d.name}": no subnet`);
    return this.#networks.createNetwork(
      d.name,
      primary.subnet,
      primary.gateway,
      NetworkDriverType.Bridge,
      d.isolation,
      {
        subnets: more.map((s) => s.subnet),
        ipMasq: d.ipMasq,
        labels: d.labels,
        ...(d.mtu !== undefined ? { mtu: d.mtu } : {}),
        ...(d.bridge !== undefined ? { bridge: d.bridge } : {}),
      },
    );
  }

  /**
   * buildNetwork gives an extra subnet its first host as gateway; Docker may have chosen another.
   * The stored network is corrected so CNI containers on it use Docker's gateway too.
   */
  setGateways(name: string, gateways: { subnet: string; gateway: string }[]): void {
    this.store.transaction(() => {
      const rec = this.store.getNetwork(name);
      const spec = rec?.spec as { network?: Network } | undefined;
      if (!rec || !spec?.network) return;
      const n = spec.network;
      for (const g of gateways) {
        const s = n.subnets.find((x) => x.subnet === g.subnet);
        if (!s || s.gateway === g.gateway) continue;
        for (const r of n.routes) if (r.gw === s.gateway) r.gw = g.gateway;
        s.gateway = g.gateway;
        if (n.subnet === g.subnet) n.gateway = g.gateway;
      }
      this.store.putNetwork({ name, spec, createdAt: rec.createdAt });
    });
  }

  /** Deletes the quantum network (its firewall objects, bridge and DOCKER-USER rules). @throws NetworkInUseError */
  async deleteNetwork(name: string): Promise<void> {
    const network = await this.#networks.getNetwork(name);
    if (!network) return;
    await this.#networks.deleteNetwork(name);
    const spec = toNetworkSpec(network);
    for (const family of [4, 6] as const) removeIptablesAccept(family, DOCKER_USER, spec.bridge, ruleComment(name));
    this.#dockerForward.delete(spec.bridge);
  }

  /** Bridges whose DOCKER-USER accept rules this process has put in place. */
  readonly #dockerForward = new Set<string>();

  /** See kernel/iptables.ts: dockerd's FORWARD DROP policy must not apply to our bridges. */
  #allowThroughDocker(spec: NetworkSpec): void {
    if (this.#dockerForward.has(spec.bridge)) return;
    const families = new Set(spec.subnets.map((s) => (s.subnet.includes(":") ? 6 : 4) as 4 | 6));
    for (const family of families) ensureIptablesAccept(family, DOCKER_USER, spec.bridge, ruleComment(spec.name));
    this.#dockerForward.add(spec.bridge);
  }

  /**
   * Reserves one address of subnet (the requested one, or the next free) for key, and records the
   * holder as an attachment without netns (so reconcile sees the reservation as owned, not orphan).
   */
  allocate(
    network: Network,
    subnet: { subnet: string; gateway: string },
    key: string,
    requested: string | undefined,
    note: unknown,
  ): AllocatedIp {
    return this.store.transaction(() => {
      const [ip] = this.#allocator.allocate({
        network: network.name,
        containerId: key,
        ifname: HOLDER_IFNAME,
        rangeSets: [[{ subnet: subnet.subnet, gateway: subnet.gateway }]],
        // The set's index in the network, as a CNI ADD of all sets records it.
        rangeSetIds: [
          String(
            Math.max(
              0,
              network.subnets.findIndex((s) => s.subnet === subnet.subnet),
            ),
          ),
        ],
        ...(requested ? { requested: [requested] } : {}),
      });
      if (!ip) throw new Error(`network "${network.name}": the allocator returned no address`);
      this.store.putAttachment({
        network: network.name,
        containerId: key,
        ifname: HOLDER_IFNAME,
        netns: "",
        ips: [ip.address],
        result: note,
      });
      return ip;
    });
  }

  /** The key holding ip in network, or null. */
  holderOf(network: string, ip: string): string | null {
    const r = this.store.findReservation(network, ip);
    return r && r.ifname === HOLDER_IFNAME ? r.containerId : null;
  }

  /** Who holds ip in network (any runtime), for error messages. */
  describeHolder(network: string, ip: string): string | null {
    const r = this.store.findReservation(network, ip);
    return r ? `${r.containerId}/${r.ifname}` : null;
  }

  /** Frees what key holds in network and its holder record. */
  release(network: string, key: string): void {
    this.store.transaction(() => {
      this.#allocator.release(network, key, HOLDER_IFNAME);
      this.store.deleteAttachment(network, key, HOLDER_IFNAME);
    });
  }

  /**
   * Frees every address Docker still holds in network (one whose ReleaseAddress never came: the
   * driver was down when Docker sent it). Docker removes the network: none of them is in use.
   * @returns the addresses freed.
   */
  releaseAllHolders(network: string): string[] {
    return this.store.transaction(() => {
      const freed: string[] = [];
      for (const a of this.store.listAttachments(network)) {
        if (a.ifname !== HOLDER_IFNAME || a.netns !== "") continue;
        freed.push(...this.#allocator.release(network, a.containerId, HOLDER_IFNAME).map((r) => r.ip));
        this.store.deleteAttachment(network, a.containerId, HOLDER_IFNAME);
      }
      return freed;
    });
  }

  /**
   * Sets (or clears) the host link and the endpoint recorded on key's holder record: reconcile then
   * knows who owns the link, and `quantumctl attachment ls --json` which Docker endpoint holds it.
   */
  setHolderLink(network: string, key: string, link: { hostIfname: string; endpointId: string } | undefined): void {
    this.store.transaction(() => {
      const a = this.store.getAttachment(network, key, HOLDER_IFNAME);
      if (!a) return;
      const { hostIfname: _old, createdAt: _c, result, ...rest } = a;
      const { endpoint: _e, ...note } = (result ?? {}) as Record<string, unknown>;
      this.store.putAttachment({
        ...rest,
        result: link ? { ...note, endpoint: link.endpointId } : note,
        ...(link ? { hostIfname: link.hostIfname } : {}),
        createdAt: a.createdAt,
      });
    });
  }

  /**
   * Wires an endpoint as the bridge driver wires a container, except that the veth's other end
   * stays in this netns (dockerd's): Docker moves, renames and addresses it itself. The host end
   * joins the bridge, up; the gateway addresses, forwarding and the firewall elements are the
   * CNI path's. Unwound completely on failure.
   */
  wire(network: Network, endpointId: string, addresses: AllocatedIp[], mac: string | undefined): WiredEndpoint {
    const spec = toNetworkSpec(network);
    const host = this.#rtnl;
    const undo = new UndoStack();
    try {
      const bridge = ensureBridge(host, spec);
      this.#allowThroughDocker(spec);
      const ips = addresses.map((a) => ({
        address: a.address,
        family: a.family,
        ...(a.gateway ? { gateway: a.gateway } : {}),
      }));
      ensureGatewayOnce(host, spec, bridge, ips);
      const fw = this.#dataplane.kernel.nftAvailable();
      if (fw) this.#firewall.ensureNetwork(firewallNetwork(spec));
      const peerIfname = randomVethName("qdc");
      const hostEnd = createHostVeth(host, {
        prefix: "qd",
        peerName: peerIfname,
        master: bridge.index,
        up: true,
        ...(spec.mtu ? { mtu: spec.mtu } : {}),
        ...(mac ? { peerMac: mac } : {}),
      });
      undo.push(`delete veth "${hostEnd.name}"`, () => host.deleteLink(hostEnd.name));
      if (spec.isolation === IsolationLevel.Strict) host.setBridgePort(hostEnd.index, { isolated: true });
      if (fw && ips.length > 0) {
        const element = {
          containerId: endpointId,
          ifname: ENDPOINT_IFNAME,
          ips: ips.map((ip) => addressOfCidr(ip.address)),
          hostIfname: hostEnd.name,
        };
        this.#firewall.addContainer(spec.id, element);
        undo.push("remove firewall elements", () => this.#firewall.removeContainers(spec.id, [element]));
      }
      undo.commit();
      return { hostIfname: hostEnd.name, peerIfname };
    } catch (err) {
      const failures = undo.unwind();
      const extra = failures.length > 0 ? ` (and undoing: ${failures.map((f) => f.message).join("; ")})` : "";
      throw new Error(
        `cannot wire endpoint ${endpointId.slice(0, 12)} on "${network.name}": ${(err as Error).message}${extra}`,
        {
          cause: err,
        },
      );
    }
  }

  /** Undoes wire(): firewall elements, then the veth (either end deletes the pair). Idempotent. */
  unwire(
    network: Network | null,
    networkName: string,
    endpointId: string,
    hostIfname: string,
    addresses: string[],
  ): void {
    const failures: string[] = [];
    if (network && addresses.length > 0 && this.#dataplane.kernel.nftAvailable()) {
      try {
        this.#firewall.removeContainers(toNetworkSpec(network).id, [
          { containerId: endpointId, ifname: ENDPOINT_IFNAME, ips: addresses.map(addressOfCidr) },
        ]);
      } catch (err) {
        failures.push(`firewall elements: ${(err as Error).message}`);
      }
    }
    try {
      this.#rtnl.deleteLink(hostIfname);
    } catch (err) {
      if (!(err instanceof LinkNotFoundError)) failures.push(`veth "${hostIfname}": ${(err as Error).message}`);
    }
    if (failures.length > 0) {
      throw new Error(`cannot remove endpoint ${endpointId.slice(0, 12)} of "${networkName}": ${failures.join("; ")}`);
    }
  }

  /** Whether a link of that name exists here (dockerd's netns). */
  hasLink(name: string): boolean {
    return this.#rtnl.getLink(name) !== null;
  }
}

/** dockerd's chain for rules of its users, jumped to first from FORWARD; it never flushes it. */
const DOCKER_USER = "DOCKER-USER";

function ruleComment(network: string): string {
  return `quantum:${network}`;
}

/** The ifname of the attachment records that hold Docker's addresses (Docker names the interface itself). */
export const HOLDER_IFNAME = "docker";

/**
 * An attachment record that holds a Docker address (no netns: Docker owns the container). CNI's GC
 * and the runtime's valid list know nothing of Docker's containers: such records are Docker's to free.
 */
export function isDockerHolder(a: Pick<Attachment, "ifname" | "netns">): boolean {
  return a.ifname === HOLDER_IFNAME && a.netns === "";
}
/** The ifname recorded in the firewall elements of an endpoint. */
const ENDPOINT_IFNAME = "eth";

/** Checks a gateway (or aux address) is a host address of subnet. @returns its canonical text. @throws InvalidNetworkError */
export function checkHostAddress(subnet: string, address: string): string {
  return checkGateway(parseSubnet(subnet), address);
}

/** The subnet's first host (quantum's and Docker's default gateway). */
export function firstHost(subnet: string): string {
  return defaultGateway(parseSubnet(subnet));
}

/** Prefix length of a canonical subnet. */
export function prefixOf(subnet: string): number {
  return parseSubnet(subnet).prefixLength;
}

/** Whether two canonical subnets overlap. */
export function subnetsOverlapText(a: string, b: string): boolean {
  return subnetsOverlap(parseSubnet(a), parseSubnet(b));
}
