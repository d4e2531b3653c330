// The two files the agent keeps in the data dir: its own state (who it is, what it claimed, on which
// lease: a restart resumes from it) and the overlay lease the CNI side reads (network/overlay/lease.ts).
// Both are replaced atomically (write + rename), so a reader never sees half a file.
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { OverlayLease } from "../network/index.js";

export interface AgentState {
  nodeUid: string;
  node: string;
  subnet?: string;
  leaseId?: string;
}

export const AGENT_STATE_FILE = "fabric-state.json";

export function writeJsonAtomic(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, path);
}

/** The state in dataDir, or a fresh identity when there is none (a new uid: this is a new daemon). */
export function loadAgentState(dataDir: string, node: string): AgentState {
  const path = join(dataDir, AGENT_STATE_FILE);
  try {
    const s = JSON.parse(readFileSync(path, "utf8")) as Partial<AgentState>;
    if (typeof s.nodeUid !== "string") throw new Error("no nodeUid");
    // Another node name in the same data dir: keep the uid (same machine), forget the claim.
    if (s.node !== node) return { nodeUid: s.nodeUid, node };
    return {
      nodeUid: s.nodeUid,
      node,
      ...(s.subnet ? { subnet: s.subnet } : {}),
      ...(s.leaseId ? { leaseId: s.leaseId } : {}),
    };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new Error(
        `fabric state ${path} is unreadable: ${(e as Error).message}; move it away to start as a new node`,
        { cause: e },
      );
    }
    return { nodeUid: randomUUID(), node };
  }
}

export function saveAgentState(dataDir: string, s: AgentState): void {
  writeJsonAtomic(join(dataDir, AGENT_STATE_FILE), s);
}

export function writeOverlayLease(path: string, lease: OverlayLease): void {
  writeJsonAtomic(path, lease);
}
