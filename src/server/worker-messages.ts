// Messages between the daemon's event loop and its worker threads.

import type { ReconcileReport } from "../manager/index.js";
import type { CniAnswer } from "./protocol.js";

export type ToWorker =
  | { id: number; kind: "cni"; env: Record<string, string>; stdin: string }
  | { id: number; kind: "reconcile"; dataDirs: string[]; graceMs: number; staleGraceMs?: number }
  | { id: number; kind: "stats"; dataDirs: string[] }
  /** Finish every link deletion this worker holds back, together (link-deletion.ts). */
  | { id: number; kind: "reap" }
  | { id: number; kind: "close" };

/** Per network: attachments recorded and addresses reserved. */
/** Per network: attachments, reservations, and attachments per Kubernetes namespace ("" = no pod identity). */
export type NetworkStats = Record<
  string,
  { attachments: number; reserved: number; namespaces?: Record<string, number> }
>;

export type FromWorker =
  | { id: number; kind: "answer"; answer: CniAnswer; dataDirs: string[]; workMs: number }
  | { id: number; kind: "reconciled"; reports: ReconcileReport[] }
  | { id: number; kind: "stats"; networks: NetworkStats }
  | { id: number; kind: "failed"; error: string }
  /** The reap's results: each held-back job finished, with the error that kept it from it. */
  | { id: number; kind: "reaped"; jobs: { id: number; error?: string }[] }
  /**
   * The worker is free. Everything for this job is finished, unless `deferred`: then its link
   * deletion is held back until a "reap" finishes it (reported by "reaped").
   */
  | { id: number; kind: "done"; error?: string; deferred?: boolean };
