// Test support: the firewall as the dataplane's core sees it (FirewallPort), in memory: networks
// programmed and their container elements. `failNext` makes one named method throw once, so tests
// reach the unwind after a firewall failure.
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

  /** Every element's address of a network (for assertions). */
  ips(netId: string): string[] {
    return (this.networks.get(netId) ?? []).map((e) => e.ip).sort();
  }
}
