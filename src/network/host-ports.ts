// Host ports of an attachment (the portMappings capability): which firewall mappings a request
// asks for given the addresses the container got, and the sysctl that lets the host's own
// localhost clients reach them. The firewall (hostports.ts) owns the rules; this file the policy.
import { writeSysctl } from "../kernel/index.js";
import type { HostPortMapping } from "./firewall/index.js";
import { type AssignedIp, type HostPortRequest, IsolationLevel, NetworkDriverType, type NetworkSpec } from "./types.js";

/**
 * One mapping per request and per container address family it applies to: a request with a host
 * IP applies to that IP's family; without one, to every family the container has (as portmap).
 * hostPort 0 means "no host port" (CRI): skipped.
 * @throws TypeError when host ports are asked of a driver without a host bridge, or a host IP's
 *   family has no container address.
 */
export function hostPortMappings(
  spec: NetworkSpec,
  requests: readonly HostPortRequest[],
  ips: readonly AssignedIp[],
): HostPortMapping[] {
  const wanted = requests.filter((r) => r.hostPort !== 0);
  if (wanted.length === 0) return [];
  if (spec.driver !== NetworkDriverType.Bridge) {
    throw new TypeError(`network "${spec.name}": host ports (portMappings) need the bridge driver, not ${spec.driver}`);
  }
  // internal/strict drop everything routed into the network: a mapping could never be reached.
  if (spec.isolation !== IsolationLevel.None) {
    throw new TypeError(
      `network "${spec.name}": host ports (portMappings) need isolation "none" (it is "${spec.isolation}": nothing may enter it)`,
    );
  }
  const byFamily = new Map(ips.map((ip) => [ip.family, ip.address.split("/")[0]!]));
  return wanted.flatMap((r) => {
    const hostIp = r.hostIp ? r.hostIp : undefined;
    const families = hostIp ? [hostIp.includes(":") ? 6 : 4] : [...byFamily.keys()];
    return families.map((family) => {
      const containerIp = byFamily.get(family as 4 | 6);
      if (containerIp === undefined) {
        throw new TypeError(
          `host port ${r.hostPort}: host IP ${hostIp} has no IPv${family} container address to map to`,
        );
      }
      return {
        protocol: r.protocol,
        hostPort: r.hostPort,
        containerIp,
        containerPort: r.containerPort,
        ...(hostIp ? { hostIp } : {}),
      };
    });
  });
}

/**
 * Localhost clients (127.0.0.0/8, DNATed and masqueraded to the gateway) are routed out of the
 * bridge only with route_localnet on it; the reference portmap sets the same.
 */
export function allowLocalhostHostPorts(spec: NetworkSpec, mappings: readonly HostPortMapping[]): void {
  const local = mappings.some((m) => !m.containerIp.includes(":") && (!m.hostIp || m.hostIp.startsWith("127.")));
  if (local) writeSysctl(`net/ipv4/conf/${spec.bridge}/route_localnet`, "1");
}

/** The number of host port mappings an attachment record's details say it holds (0 when none). */
export function recordedHostPorts(result: unknown): number {
  const n = (result as { hostPorts?: unknown } | null)?.hostPorts;
  return typeof n === "number" && n > 0 ? n : 0;
}

/** True when an attachment record holds host ports (so DEL lists and removes them). */
export function recordHasHostPorts(result: unknown): boolean {
  return recordedHostPorts(result) > 0;
}
