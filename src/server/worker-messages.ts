// Messages between the daemon's event loop and its worker threads.

import type { ReconcileReport } from "../manager/index.js";
import type { CniAnswer } from "./protocol.js";

export type ToWorker =
  | { id: number; kind: "cni"; env: Record<string, string>; stdin: string }
  | { id: number; kind: "reconcile"; dataDirs: string[]; graceMs: number; staleGraceMs?: number }
  | { id: number; kind: "stats"; dataDirs: string[] }
  | { id: number; kind: "close" };

/** Per network: attachments recorded and addresses reserved. */
export type NetworkStats = Record<string, { attachments: number; reserved: number }>;

export type FromWorker =
  | { id: number; kind: "answer"; answer: CniAnswer; dataDirs: string[]; workMs: number }
  | { id: number; kind: "reconciled"; reports: ReconcileReport[] }
  | { id: number; kind: "stats"; networks: NetworkStats }
  | { id: number; kind: "failed"; error: string }
  /** Everything for this job is finished (after the answer: the DEL fast path's link deletion). */
  | { id: number; kind: "done"; error?: string };
