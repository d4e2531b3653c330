// Store against kernel: what `quantumctl doctor` reports and `quantumctl gc` repairs. The store is
// the truth for reservations, the kernel for links (architecture.md):
// - stale-attachment: an attachment whose netns is gone or whose host link vanished;
// - orphan-reservation: addresses held by a (container, ifname) that has no attachment;
// - orphan-link: a veth port on one of our bridges that no attachment owns;
// - orphan-element: an address in a network's nftables sets that nothing in the store holds;
// - unrecorded-container: a veth port whose alias names a live container the store forgot (a lost
//   or replaced store). Never deleted: `quantumctl store recover` (or the network's next ADD)
//   adopts it back into the store.
// Runs in the calling process's network namespace (the one the plugin runs in).
import { addressOfCidr } from "../ipam/index.js";
import { LinkNotFoundError, type Rtnl } from "../kernel/index.js";
import type { Attachment, Store } from "../store/index.js";
import { parseAttachmentAlias } from "./attachment-alias.js";
import { networkId } from "./network-ids.js";
import type { FirewallPort, KernelPort } from "./ports.js";

export type FindingKind =
  | "stale-attachment"
  | "orphan-reservation"
  | "orphan-link"
  | "orphan-element"
  | "unrecorded-container";

export interface Finding {
  kind: FindingKind;
  /** Stable identity across two audits (used to repair only what was seen twice). */
  key: string;
  /** Network name; empty for a link whose network is unknown. */
  network: string;
  /** One line for humans. */
  detail: string;
  containerId?: string;
  ifname?: string;
  /** Plain addresses (no prefix). */
  ips?: string[];
  /** Host link name (orphan-link, stale-attachment with a host end). */
  link?: string;
  /** Why an attachment is stale: its netns is gone (after a reboot: all), or its host link is. */
  reason?: "netns-gone" | "link-missing";
}

export interface AuditDeps {
  store: Store;
  /** rtnetlink in the host netns. */
  host: Rtnl;
  kernel: KernelPort;
  /** Undefined when nft is not installed: the firewall checks are skipped. */
  firewall?: FirewallPort;
}

export interface RepairReport {
  repaired: Finding[];
  errors: string[];
}

/** Compares store, links and firewall; read-only. */
export function auditNetworks(deps: AuditDeps): Finding[] {
  const { store, host } = deps;
  const findings: Finding[] = [];
  const attachments = store.listAttachments();
  const links = host.listLinks();
  const linkNames = new Set(links.map((l) => l.name));

  for (const a of attachments) {
    const who = `${a.network}:${a.containerId}/${a.ifname}`;
    const base = {
      network: a.network,
      containerId: a.containerId,
      ifname: a.ifname,
      ips: a.ips.map(addressOfCidr),
      ...(a.hostIfname ? { link: a.hostIfname } : {}),
    };
    if (a.netns && deps.kernel.netnsGone(a.netns)) {
      findings.push({
        kind: "stale-attachment",
        key: `att:${who}`,
        detail: `${who}: netns ${a.netns} is gone`,
        reason: "netns-gone",
        ...base,
      });
    } else if (a.hostIfname && !linkNames.has(a.hostIfname)) {
      findings.push({
        kind: "stale-attachment",
        key: `att:${who}`,
        detail: `${who}: host link "${a.hostIfname}" is missing`,
        reason: "link-missing",
        ...base,
      });
    }
  }

  const attached = new Set(attachments.map((a) => `${a.network}:${a.containerId}/${a.ifname}`));
  const groups = new Map<string, Finding>();
  for (const r of store.listReservations()) {
    const who = `${r.network}:${r.containerId}/${r.ifname}`;
    if (attached.has(who)) continue;
    const f = groups.get(who) ?? {
      kind: "orphan-reservation" as const,
      key: `res:${who}`,
      network: r.network,
      detail: "",
      containerId: r.containerId,
      ifname: r.ifname,
      ips: [],
    };
    f.ips!.push(r.ip);
    f.detail = `${who}: ${f.ips!.join(", ")} reserved without attachment`;
    groups.set(who, f);
  }
  findings.push(...groups.values());

  const bridges = bridgesOf(store, attachments);
  const owned = new Set(attachments.flatMap((a) => (a.hostIfname ? [a.hostIfname] : [])));
  const bridgeByIndex = new Map(
    links.filter((l) => l.kind === "bridge" && bridges.has(l.name)).map((l) => [l.index, l.name]),
  );
  for (const l of links) {
    const bridge = l.master === undefined ? undefined : bridgeByIndex.get(l.master);
    if (bridge === undefined || l.kind !== "veth" || owned.has(l.name)) continue;
    const alias = parseAttachmentAlias(l.alias);
    if (alias && !(alias.netns && deps.kernel.netnsGone(alias.netns))) {
      findings.push({
        kind: "unrecorded-container",
        key: `live:${l.name}`,
        network: bridges.get(bridge) ?? "",
        detail: `veth "${l.name}" on bridge "${bridge}" belongs to live container ${alias.containerId}/${alias.ifname}, which the store does not record (run: quantumctl store recover)`,
        containerId: alias.containerId,
        ifname: alias.ifname,
        link: l.name,
      });
      continue;
    }
    findings.push({
      kind: "orphan-link",
      key: `link:${l.name}`,
      network: bridges.get(bridge) ?? "",
      detail: `veth "${l.name}" on bridge "${bridge}" has no attachment`,
      link: l.name,
    });
  }

  if (deps.firewall) {
    const held = new Set([
      ...store.listReservations().map((r) => `${r.network}\u0000${r.ip}`),
      ...attachments.flatMap((a) => a.ips.map((ip) => `${a.network}\u0000${addressOfCidr(ip)}`)),
    ]);
    for (const network of networkNames(store, attachments)) {
      for (const e of deps.firewall.listContainerElements(networkId(network))) {
        if (held.has(`${network}\u0000${e.ip}`)) continue;
        // Its comment names a host veth that exists: a live container the store forgot. Removing
        // the element would cut it off; adoption (store recover, the next ADD) records it again.
        if (e.hostIfname && linkNames.has(e.hostIfname)) continue;
        findings.push({
          kind: "orphan-element",
          key: `nft:${network}:${e.ip}`,
          network,
          detail: `${network}: firewall element ${e.ip}${e.containerId ? ` (of ${e.containerId}/${e.ifname ?? "?"})` : ""} has no reservation`,
          ips: [e.ip],
        });
      }
    }
  }
  return findings;
}

/** Removes what each finding describes; continues past errors and reports them. */
export function repairFindings(deps: AuditDeps, findings: Finding[]): RepairReport {
  const { store, host, firewall } = deps;
  const report: RepairReport = { repaired: [], errors: [] };
  for (const f of findings) {
    try {
      switch (f.kind) {
        case "stale-attachment":
          if (f.link) deleteLink(host, f.link);
          firewall?.removeContainers(networkId(f.network), [{ ips: f.ips ?? [] }]);
          // By owner (element comments): a dead pod's host ports must not keep DNATing to its address.
          firewall?.removeHostPorts({ containerId: f.containerId!, ifname: f.ifname! });
          store.transaction(() => {
            store.releaseById(f.network, f.containerId!, f.ifname!);
            store.deleteAttachment(f.network, f.containerId!, f.ifname!);
          });
          break;
        case "orphan-reservation":
          firewall?.removeContainers(networkId(f.network), [{ ips: f.ips ?? [] }]);
          store.transaction(() => store.releaseById(f.network, f.containerId!, f.ifname!));
          break;
        case "orphan-link":
          deleteLink(host, f.link!);
          break;
        case "orphan-element":
          firewall?.removeContainers(networkId(f.network), [{ ips: f.ips ?? [] }]);
          break;
        case "unrecorded-container":
          // A live container's link is never removed; adoption is store recovery's job.
          continue;
      }
      report.repaired.push(f);
    } catch (err) {
      report.errors.push(`${f.detail}: ${(err as Error).message}`);
    }
  }
  return report;
}

/** Bridge name → network name, for every bridge a network of this store uses. */
function bridgesOf(store: Store, attachments: Attachment[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of store.listNetworks()) {
    const spec = n.spec as { network?: { bridge?: string }; bridge?: string } | null;
    const bridge = spec?.network?.bridge ?? spec?.bridge;
    if (typeof bridge === "string" && bridge) out.set(bridge, n.name);
  }
  for (const a of attachments) {
    const ifaces = (a.result as { interfaces?: { name?: string; sandbox?: string }[] } | null)?.interfaces ?? [];
    const bridge = ifaces.length === 3 ? ifaces[0] : undefined;
    if (bridge?.name && !bridge.sandbox && !out.has(bridge.name)) out.set(bridge.name, a.network);
  }
  return out;
}

function networkNames(store: Store, attachments: Attachment[]): Set<string> {
  const names = new Set<string>(store.listNetworks().map((n) => n.name));
  for (const a of attachments) names.add(a.network);
  for (const r of store.listReservations()) names.add(r.network);
  return names;
}

function deleteLink(host: Rtnl, name: string): void {
  try {
    host.deleteLink(name);
  } catch (err) {
    if (!(err instanceof LinkNotFoundError)) throw err;
  }
}
