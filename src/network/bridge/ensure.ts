import { randomBytes } from "node:crypto";
import { sameSubnet } from "../../ipam/index.js";
import { KernelError, type Link, type Rtnl, writeSysctl } from "../../kernel/index.js";
import type { AssignedIp, NetworkSpec } from "../types.js";

/**
 * Ensures the network's bridge exists, is a bridge, is up and carries the gateway addresses.
 * Idempotent and safe against a concurrent creator: EEXIST is re-read, not failed.
 */
export function ensureBridge(host: Rtnl, spec: NetworkSpec): Link {
  let link = host.getLink(spec.bridge);
  if (!link) {
    try {
      // A fixed MAC, so the bridge keeps it when ports come and go (it would take its lowest port's).
      link = host.addBridge({ name: spec.bridge, mac: randomMac(), ...(spec.mtu ? { mtu: spec.mtu } : {}), up: true });
    } catch (err) {
      if (!(err instanceof KernelError && err.code === "EEXIST")) throw err;
      link = host.getLink(spec.bridge);
    }
  }
  if (!link) throw new Error(`bridge "${spec.bridge}" vanished while being created`);
  if (link.kind !== "bridge") {
    throw new Error(
      `"${spec.bridge}" exists and is not a bridge (kind ${link.kind ?? "unknown"}): choose another "bridge" name`,
    );
  }
  if (!link.up || (spec.promiscMode && !link.promisc)) {
    host.setLink(link.index, { up: true, ...(spec.promiscMode ? { promisc: true } : {}) });
  }
  return link;
}

/** Puts each gateway on the bridge; a different IPv4 address there is refused unless forceAddress. */
export function ensureGatewayAddresses(host: Rtnl, spec: NetworkSpec, bridge: Link, ips: AssignedIp[]): void {
  const present = host.listAddresses({ index: bridge.index });
  for (const ip of ips) {
    if (!ip.gateway) continue;
    const prefix = ip.address.split("/")[1];
    const want = `${ip.gateway}/${prefix}`;
    if (present.some((a) => a.address === want)) continue;
    if (ip.family === 4) {
      const clash = present.filter((a) => a.family === 4 && sameSubnet(a.address, want));
      for (const other of clash) {
        if (!spec.forceAddress) {
          throw new Error(
            `bridge "${spec.bridge}" already has ${other.address}, not gateway ${want} (set "forceAddress" to replace it)`,
          );
        }
        host.deleteAddress(bridge.index, other.address);
      }
    }
    try {
      // No DAD for the gateway: it must answer at once, the first container may ping it right away.
      host.addAddress(bridge.index, want, ip.family === 6 ? { noDad: true } : undefined);
    } catch (err) {
      if (!(err instanceof KernelError && err.code === "EEXIST")) throw err;
    }
  }
}

/**
 * Bridges (by ifindex, name and gateways) whose gateway addresses and forwarding this process has
 * already put in place. Listing addresses is a dump of every address on the host, which grows with
 * the number of containers: a warm daemon does it once per bridge, not on every ADD. A bridge that
 * is deleted and created again gets a new ifindex, so it is checked again.
 */
const gatewaysInPlace = new Set<string>();

export function ensureGatewayOnce(host: Rtnl, spec: NetworkSpec, bridge: Link, ips: AssignedIp[]): void {
  const key = `${host.netnsPath ?? ""}/${bridge.index}/${bridge.name}/${ips.map((ip) => `${ip.gateway ?? ""}/${ip.address.split("/")[1]}`).join(",")}`;
  if (gatewaysInPlace.has(key)) return;
  ensureGatewayAddresses(host, spec, bridge, ips);
  ensureForwarding(ips);
  gatewaysInPlace.add(key);
}

/** Forwarding in the host netns, for the families the network uses. */
export function ensureForwarding(ips: AssignedIp[]): void {
  if (ips.some((ip) => ip.family === 4)) writeSysctl("net/ipv4/ip_forward", "1");
  if (ips.some((ip) => ip.family === 6)) writeSysctl("net/ipv6/conf/all/forwarding", "1");
}

/** A random locally administered unicast MAC (what the kernel's eth_random_addr gives too). */
export function randomMac(): string {
  const b = randomBytes(6);
  b[0] = ((b[0] ?? 0) & 0xfe) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
}
