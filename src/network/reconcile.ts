// Reconcile: the store is the truth for reservations, the kernel for links (architecture.md). At
// daemon start and on POST /v1/reconcile, every known data dir is compared with the kernel and the
// firewall, and what they disagree on is repaired or removed:
// - pending link deletions (a DEL fast path interrupted by a crash) are finished;
// - attachments whose netns is gone are kept: the runtime's DEL or GC (with its valid list) ends
//   them, and after a reboot every netns is gone. Only one older than staleGraceMs (days) is
//   released, for a runtime that never cleaned up;
// - reservations without an attachment, and host veth ports of our bridges that no attachment
//   owns, are left from an ADD that died half-way: removed. A direct-mode plugin may be in the
//   middle of an ADD right now, so these count only when seen again after a grace period;
// - firewall address elements with no reservation behind them are removed.
// Steps after the pending deletions are network-audit.ts (what quantumctl doctor reports), repaired.
// Runs in a worker (all of it is synchronous kernel and SQLite work).
import { finishPendingDeletion } from "./fast-detach.js";
import { type AuditDeps, auditNetworks, repairFindings } from "./network-audit.js";
import type { ReconcileReport } from "./reconcile-report.js";

export interface ReconcileDeps extends AuditDeps {
  /** Waits between the two looks at half-made state (a synchronous sleep in the worker). */
  sleep: (ms: number) => void;
  graceMs: number;
  /** Age an attachment whose netns is gone must reach before reconcile releases it. */
  staleGraceMs: number;
  /** Now, for the age (tests). */
  now?: () => number;
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
  const { store, host, kernel } = deps;

  // 1. Pending link deletions, unless the same netns/ifname was attached again since.
  const attachments = store.listAttachments();
  for (const p of store.listPendingLinkDeletions()) {
    const reused = attachments.some((a) => a.netns === p.netns && a.ifname === p.ifname && a.createdAt >= p.createdAt);
    if (!reused && !attempt(`delete link ${p.ifname} in ${p.netns}`, () => finishPendingDeletion(kernel, host, p)))
      continue;
    store.removePendingLinkDeletion(p.id);
    report.pendingDeletions++;
    report.items.push(`pending deletion ${p.containerId}/${p.ifname}${reused ? " (netns reused, skipped)" : ""}`);
  }

  // 2. Everything else is the audit quantumctl doctor shows, repaired. What may be an ADD or DEL
  //    half-way (an orphan reservation, link or element) is repaired only when a second look,
  //    grace apart, still finds it; an attachment whose netns is gone is repaired at once.
  const audit: AuditDeps = deps;
  const first = auditNetworks(audit);
  const waits = first.some((f) => f.kind !== "stale-attachment");
  if (waits) deps.sleep(deps.graceMs);
  const seenBefore = new Set(first.map((f) => f.key));
  const now = deps.now?.() ?? Date.now();
  const createdAt = new Map(
    store.listAttachments().map((a) => [`${a.network}:${a.containerId}/${a.ifname}`, Date.parse(a.createdAt)]),
  );
  const releasable = (f: (typeof first)[number]) => {
    if (f.reason !== "netns-gone") return true;
    const born = createdAt.get(`${f.network}:${f.containerId}/${f.ifname}`) ?? now;
    return now - born >= deps.staleGraceMs;
  };
  const confirmed = (waits ? auditNetworks(audit) : first).filter(
    (f) => (f.kind === "stale-attachment" || seenBefore.has(f.key)) && (f.kind !== "stale-attachment" || releasable(f)),
  );
  const repaired = repairFindings(audit, confirmed);
  report.errors.push(...repaired.errors);
  for (const f of repaired.repaired) {
    report.items.push(f.detail);
    if (f.kind === "stale-attachment") report.staleAttachments++;
    else if (f.kind === "orphan-reservation") report.orphanReservations++;
    else if (f.kind === "orphan-link") report.orphanLinks++;
    else report.orphanElements += f.ips?.length ?? 1;
  }
  return report;
}
