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
