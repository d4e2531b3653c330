// Reconcile: the store is the truth for reservations, the kernel for links (architecture.md). At
// daemon start and on POST /v1/reconcile, every known data dir is compared with the kernel and the
// firewall, and what they disagree on is repaired or removed:
// - pending link deletions (a DEL fast path interrupted by a crash) are finished;
// - attachments whose netns is gone are released (their container is dead; the veth died with it);
// - reservations without an attachment, and host veth ports of our bridges that no attachment
//   owns, are left from an ADD that died half-way: removed. A direct-mode plugin may be in the
//   middle of an ADD right now, so these count only when seen again after a grace period;
// - firewall address elements with no reservation behind them are removed.
// Runs in a worker (all of it is synchronous kernel and SQLite work).
import { checkNetnsPath, LinkNotFoundError, NetnsNotFoundError, NotANetnsError, type Rtnl } from "../kernel/index.js";
import type { Attachment, Store } from "../store/index.js";
import { finishPendingDeletion } from "./fast-detach.js";
import type { Firewall } from "./firewall/index.js";
import { networkId } from "./network-ids.js";
import type { ReconcileReport } from "./reconcile-report.js";

export type { ReconcileReport } from "./reconcile-report.js";

export interface ReconcileDeps {
  store: Store;
  firewall: Firewall;
  host: Rtnl;
  /** Waits between the two looks at half-made state (a synchronous sleep in the worker). */
  sleep: (ms: number) => void;
  graceMs: number;
}

/** What the daemon records about a network it served, so reconcile knows its bridge. */
export interface NetworkNote {
  source: "quantumd";
  id: string;
  driver: string;
  bridge?: string;
}

export function reconcileStore(deps: ReconcileDeps, dataDir: string): ReconcileReport {
  const report: ReconcileReport = {
    dataDir,
    pendingDeletions: 0,
    staleAttachments: 0,
    orphanReservations: 0,
    orphanLinks: 0,
    orphanElements: 0,
    items: [],
    errors: [],
  };
  const attempt = (what: string, fn: () => void): boolean => {
    try {
      fn();
      return true;
    } catch (err) {
      report.errors.push(`${what}: ${(err as Error).message}`);
      return false;
    }
  };
  const { store, firewall, host } = deps;

  // 1. Pending link deletions, unless the same netns/ifname was attached again since.
  const attachments = store.listAttachments();
  for (const p of store.listPendingLinkDeletions()) {
    const reused = attachments.some((a) => a.netns === p.netns && a.ifname === p.ifname && a.createdAt >= p.createdAt);
    if (!reused && !attempt(`delete link ${p.ifname} in ${p.netns}`, () => finishPendingDeletion(host, p))) continue;
    store.removePendingLinkDeletion(p.id);
    report.pendingDeletions++;
    report.items.push(`pending deletion ${p.containerId}/${p.ifname}${reused ? " (netns reused, skipped)" : ""}`);
  }

  // 2. Attachments whose netns is gone.
  for (const a of attachments) {
    if (!netnsGone(a.netns)) continue;
    const ok = attempt(`release stale attachment ${a.containerId}/${a.ifname}`, () => {
      if (a.hostIfname) deleteHostLink(host, a.hostIfname);
      firewall.removeContainers(networkId(a.network), [{ ips: a.ips.map(stripPrefix) }]);
      store.transaction(() => {
        store.releaseById(a.network, a.containerId, a.ifname);
        store.deleteAttachment(a.network, a.containerId, a.ifname);
      });
    });
    if (ok) {
      report.staleAttachments++;
      report.items.push(`stale attachment ${a.network}:${a.containerId}/${a.ifname} (netns ${a.netns} gone)`);
    }
  }

  // 3 + 4. Half-made ADDs: look twice, grace apart.
  const first = halfMade(store, host);
  if (first.reservations.size > 0 || first.links.size > 0) deps.sleep(deps.graceMs);
  const second = halfMade(store, host);
  for (const [key, r] of second.reservations) {
    if (!first.reservations.has(key)) continue;
    const ok = attempt(`release orphan reservation ${key}`, () => {
      firewall.removeContainers(networkId(r.network), [{ ips: r.ips }]);
      store.transaction(() => store.releaseById(r.network, r.containerId, r.ifname));
    });
    if (ok) {
      report.orphanReservations++;
      report.items.push(`orphan reservation ${key} (${r.ips.join(", ")})`);
    }
  }
  for (const name of second.links) {
    if (!first.links.has(name)) continue;
    if (attempt(`delete orphan link ${name}`, () => deleteHostLink(host, name))) {
      report.orphanLinks++;
      report.items.push(`orphan link ${name}`);
    }
  }

  // 5. Firewall elements with no reservation.
  for (const network of networkNames(store)) {
    const netId = networkId(network);
    let elements: ReturnType<Firewall["listContainerElements"]>;
    try {
      elements = firewall.listContainerElements(netId);
    } catch (err) {
      report.errors.push(`list firewall elements of "${network}": ${(err as Error).message}`);
      continue;
    }
    const reserved = new Set(store.listReservations(network).map((r) => r.ip));
    const orphans = elements.filter((e) => !reserved.has(e.ip));
    if (orphans.length === 0) continue;
    if (
      attempt(`remove firewall elements of "${network}"`, () =>
        firewall.removeContainers(
          netId,
          orphans.map((e) => ({ ips: [e.ip] })),
        ),
      )
    ) {
      report.orphanElements += orphans.length;
      for (const e of orphans) report.items.push(`orphan firewall element ${network}:${e.ip}`);
    }
  }
  return report;
}

interface HalfMade {
  /** "network:containerId/ifname" → the reservation group without an attachment. */
  reservations: Map<string, { network: string; containerId: string; ifname: string; ips: string[] }>;
  /** Host veth ports of our bridges that no attachment names as its host end. */
  links: Set<string>;
}

function halfMade(store: Store, host: Rtnl): HalfMade {
  const attachments = store.listAttachments();
  const attached = new Set(attachments.map((a) => `${a.network}:${a.containerId}/${a.ifname}`));
  const reservations: HalfMade["reservations"] = new Map();
  for (const r of store.listReservations()) {
    const key = `${r.network}:${r.containerId}/${r.ifname}`;
    if (attached.has(key)) continue;
    const group = reservations.get(key) ?? {
      network: r.network,
      containerId: r.containerId,
      ifname: r.ifname,
      ips: [],
    };
    group.ips.push(r.ip);
    reservations.set(key, group);
  }
  const bridges = bridgesOf(store, attachments);
  const owned = new Set(attachments.flatMap((a) => (a.hostIfname ? [a.hostIfname] : [])));
  const links = new Set<string>();
  if (bridges.size > 0) {
    const all = host.listLinks();
    const bridgeIndexes = new Set(all.filter((l) => l.kind === "bridge" && bridges.has(l.name)).map((l) => l.index));
    for (const l of all) {
      if (l.kind === "veth" && l.master !== undefined && bridgeIndexes.has(l.master) && !owned.has(l.name)) {
        links.add(l.name);
      }
    }
  }
  return { reservations, links };
}

/** Bridges this store's networks use: from the daemon's network notes and the recorded results. */
function bridgesOf(store: Store, attachments: Attachment[]): Set<string> {
  const out = new Set<string>();
  for (const n of store.listNetworks()) {
    const note = n.spec as Partial<NetworkNote> | null;
    if (note?.source === "quantumd" && note.bridge) out.add(note.bridge);
  }
  for (const a of attachments) {
    const ifaces = (a.result as { interfaces?: { name?: string; sandbox?: string }[] } | null)?.interfaces ?? [];
    const bridge = ifaces.length === 3 ? ifaces[0] : undefined;
    if (bridge?.name && !bridge.sandbox) out.add(bridge.name);
  }
  return out;
}

function networkNames(store: Store): Set<string> {
  const names = new Set<string>();
  for (const n of store.listNetworks()) names.add(n.name);
  for (const a of store.listAttachments()) names.add(a.network);
  for (const r of store.listReservations()) names.add(r.network);
  return names;
}

function netnsGone(path: string): boolean {
  if (!path) return false;
  try {
    checkNetnsPath(path);
    return false;
  } catch (err) {
    return err instanceof NetnsNotFoundError || err instanceof NotANetnsError;
  }
}

function deleteHostLink(host: Rtnl, name: string): void {
  try {
    host.deleteLink(name);
  } catch (err) {
    if (!(err instanceof LinkNotFoundError)) throw err;
  }
}

function stripPrefix(cidr: string): string {
  return cidr.split("/")[0] ?? cidr;
}
