// Rebuilding attachments from the live kernel, for a store that was lost, replaced or is new
// while containers still run: every host veth whose alias names an attachment of a known network
// (attachment-alias.ts) is a live container (the pair dies with its netns). Its addresses come
// from the firewall elements that name it; they are reserved again and the attachment recorded,
// in one transaction per container, so no live container's address is handed out again and
// doctor/gc see it as owned instead of deleting its link.
import { cidrsOverlap } from "../ipam/index.js";
import type { Link, Rtnl } from "../kernel/index.js";
import type { Store } from "../store/index.js";
import { parseAttachmentAlias } from "./attachment-alias.js";
import { commentOwnerId } from "./firewall/index.js";
import type { FirewallPort, KernelPort } from "./ports.js";
import type { AssignedIp, SubnetSpec } from "./types.js";

export interface RecoveryDeps {
  store: Store;
  host: Rtnl;
  kernel: KernelPort;
  /** Absent without nftables: attachments are then adopted without addresses. */
  firewall?: FirewallPort;
}

/** A network whose containers may be adopted. */
export interface RecoverableNetwork {
  name: string;
  id: string;
  subnets: SubnetSpec[];
}

export interface RecoveryReport {
  /** "network:container/ifname (addresses)" of each attachment recorded again. */
  adopted: string[];
  /** The host links of the adopted attachments. */
  links: string[];
  /** What could not be adopted, and why. */
  problems: string[];
}

/**
 * Adopts the live, unrecorded containers of `networks` into the store.
 * @param links the host's links when the caller already listed them
 */
export function adoptFromKernel(
  deps: RecoveryDeps,
  networks: readonly RecoverableNetwork[],
  links: Link[] = deps.host.listLinks(),
): RecoveryReport {
  const report: RecoveryReport = { adopted: [], links: [], problems: [] };
  const byId = new Map(networks.map((n) => [n.id, n]));
  for (const link of links) {
    const alias = link.kind === "veth" ? parseAttachmentAlias(link.alias) : undefined;
    const net = alias && byId.get(alias.networkId);
    if (!alias || !net) continue;
    const who = `${net.name}:${alias.containerId}/${alias.ifname}`;
    if (deps.store.getAttachment(net.name, alias.containerId, alias.ifname)) continue;
    if (alias.netns && deps.kernel.netnsGone(alias.netns)) continue;
    try {
      const ips = addressesOf(deps.firewall, net, link.name, alias.containerId, alias.ifname);
      deps.store.transaction(() => {
        for (const ip of ips) {
          const index = net.subnets.findIndex((s) => s.subnet === ip.subnet);
          const taken = deps.store.findReservation(net.name, ip.plain);
          if (taken && (taken.containerId !== alias.containerId || taken.ifname !== alias.ifname)) {
            throw new Error(`${ip.plain} is reserved by ${taken.containerId}/${taken.ifname} already`);
          }
          if (!taken)
            deps.store.reserve({
              network: net.name,
              rangeId: String(index),
              ip: ip.plain,
              containerId: alias.containerId,
              ifname: alias.ifname,
              prefixLength: ip.prefixLength,
              ...(ip.assigned.gateway ? { gateway: ip.assigned.gateway } : {}),
            });
        }
        deps.store.putAttachment({
          network: net.name,
          containerId: alias.containerId,
          ifname: alias.ifname,
          netns: alias.netns ?? "",
          hostIfname: link.name,
          ips: ips.map((i) => i.assigned.address),
          result: { ips: ips.map((i) => i.assigned), routes: [], interfaces: [], delegated: false, adopted: true },
        });
      });
      report.adopted.push(`${who} (${ips.map((i) => i.plain).join(", ") || "no addresses"})`);
      report.links.push(link.name);
    } catch (err) {
      report.problems.push(`cannot adopt ${who} (host link "${link.name}"): ${(err as Error).message}`);
    }
  }
  return report;
}

interface FoundIp {
  plain: string;
  subnet: string;
  prefixLength: number;
  assigned: AssignedIp;
}

/** The addresses the firewall elements give this container, each with the subnet it lies in. */
function addressesOf(
  firewall: FirewallPort | undefined,
  net: RecoverableNetwork,
  hostIfname: string,
  containerId: string,
  ifname: string,
): FoundIp[] {
  if (!firewall) return [];
  const owner = commentOwnerId(containerId);
  const out: FoundIp[] = [];
  for (const e of firewall.listContainerElements(net.id)) {
    const mine = e.hostIfname === hostIfname || (e.containerId === owner && e.ifname === ifname);
    if (!mine) continue;
    const bits = e.family === 4 ? 32 : 128;
    const subnet = net.subnets.find((s) => cidrsOverlap(`${e.ip}/${bits}`, s.subnet));
    if (!subnet) continue;
    const prefixLength = Number(subnet.subnet.split("/")[1]);
    out.push({
      plain: e.ip,
      subnet: subnet.subnet,
      prefixLength,
      assigned: {
        address: `${e.ip}/${prefixLength}`,
        family: e.family,
        ...(subnet.gateway ? { gateway: subnet.gateway } : {}),
      },
    });
  }
  return out;
}
