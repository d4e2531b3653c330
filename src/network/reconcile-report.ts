// What reconcile reports (kept apart from reconcile.ts, which pulls in the dataplane, so the
// daemon's event-loop thread can use it without loading kernel code).

/** What one pass found and did, per kind; `items` names each repair. */
export interface ReconcileReport {
  dataDir: string;
  pendingDeletions: number;
  staleAttachments: number;
  orphanReservations: number;
  orphanLinks: number;
  orphanElements: number;
  items: string[];
  errors: string[];
}

export type RepairKind =
  | "pendingDeletions"
  | "staleAttachments"
  | "orphanReservations"
  | "orphanLinks"
  | "orphanElements";
export const REPAIR_KINDS: readonly RepairKind[] = [
  "pendingDeletions",
  "staleAttachments",
  "orphanReservations",
  "orphanLinks",
  "orphanElements",
];

/** How long half-made state must persist before reconcile removes it (a direct-mode ADD may be building it). */
export const DEFAULT_RECONCILE_GRACE_MS = 5000;

/**
 * How long an attachment whose netns vanished is kept by reconcile (default 7 days). After a
 * reboot every netns is gone, but the runtime's GC with its valid list (or its DEL) decides which
 * attachments end: reconcile releases them only when the runtime never did, this long after ADD.
 */
export const DEFAULT_STALE_ATTACHMENT_GRACE_MS = 7 * 24 * 3600 * 1000;
