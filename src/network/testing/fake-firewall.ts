// Test support: the firewall as the dataplane's core sees it (FirewallPort), in memory: networks
// programmed and their container elements. `failNext` makes one named method throw once, so tests
// reach the unwind after a firewall failure.
import { hostPortElement } from "../firewall/hostports.js";
import type { HostPortElement } from "../firewall/hostports-parse.js";
import type { FirewallPort } from "../ports.js";

type Method = keyof FirewallPort;

export interface FakeElement {
  ip: string;
  containerId?: string;
  ifname?: string;
}

export class FakeFirewall implements FirewallPort {
  /** Network id → its elements. */
  readonly networks = new Map<string, FakeElement[]>();
  readonly #fail = new Map<Method, Error>();
  /** Host port map elements, as the real maps hold them (a key is taken once). */
  readonly hostPorts: HostPortElement[] = [];

  /** The next call of `method` throws `error` (default: a plain Error naming it). */
  failNext(method: Method, error = new Error(`fake firewall: ${method} failed`)): void {
    this.#fail.set(method, error);
  }

  #maybeFail(method: Method): void {
    const err = this.#fail.get(method);
    if (err) {
      this.#fail.delete(method);
      throw err;
    }
  }

  ensureNetwork(net: Parameters<FirewallPort["ensureNetwork"]>[0]): boolean {
    this.#maybeFail("ensureNetwork");
    if (this.networks.has(net.id)) return false;
    this.networks.set(net.id, []);
    return true;
  }

  addContainer(netId: string, c: Parameters<FirewallPort["addContainer"]>[1]): void {
    this.#maybeFail("addContainer");
    const elements = this.networks.get(netId);
    if (!elements) throw new Error(`fake firewall: network ${netId} is not programmed`);
    for (const ip of c.ips) elements.push({ ip, containerId: c.containerId, ifname: c.ifname });
  }

  removeContainers(netId: string, items: Parameters<FirewallPort["removeContainers"]>[1]): void {
    this.#maybeFail("removeContainers");
    const elements = this.networks.get(netId);
    if (!elements) return;
    const gone = new Set(items.flatMap((i) => i.ips));
    this.networks.set(
      netId,
      elements.filter((e) => !gone.has(e.ip)),
    );
  }

  hasContainer(netId: string, ips: readonly string[]): boolean {
    this.#maybeFail("hasContainer");
    const held = new Set((this.networks.get(netId) ?? []).map((e) => e.ip));
    return ips.every((ip) => held.has(ip));
  }

  listContainerElements(netId: string): ReturnType<FirewallPort["listContainerElements"]> {
    this.#maybeFail("listContainerElements");
    return (this.networks.get(netId) ?? []).map((e) => ({ ...e, family: e.ip.includes(":") ? 6 : 4 }));
  }

  removeNetwork(netId: string): boolean {
    this.#maybeFail("removeNetwork");
    return this.networks.delete(netId);
  }

  addHostPorts(...[owner, mappings]: Parameters<FirewallPort["addHostPorts"]>): void {
    this.#maybeFail("addHostPorts");
    const added = mappings.map((m) => ({ ...hostPortElement(m), ...owner }));
    for (const e of added) {
      if (this.hostPorts.some((h) => h.map === e.map && h.key === e.key)) {
        throw new Error(`host port ${e.key} is already mapped`);
      }
    }
    for (const { family: _family, ...e } of added) this.hostPorts.push(e);
  }

  removeHostPorts(owner: Parameters<FirewallPort["removeHostPorts"]>[0]): number {
    this.#maybeFail("removeHostPorts");
    const before = this.hostPorts.length;
    const kept = this.hostPorts.filter((h) => !(h.containerId === owner.containerId && h.ifname === owner.ifname));
    this.hostPorts.splice(0, this.hostPorts.length, ...kept);
    return before - kept.length;
  }

  listHostPorts(): HostPortElement[] {
    this.#maybeFail("listHostPorts");
    return this.hostPorts.map((h) => ({ ...h }));
  }

  /** Every element's address of a network (for assertions). */
  ips(netId: string): string[] {
    return (this.networks.get(netId) ?? []).map((e) => e.ip).sort();
  }
}
