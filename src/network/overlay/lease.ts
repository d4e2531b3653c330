// The node's fabric lease as the CNI side sees it: a small JSON file in the data dir, written by the
// fabric agent in quantumd (on every claim, renewal and fence change) and only read here. ADD and DEL
// read this file and never talk to etcd, so they work while etcd is down or slow.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const OVERLAY_LEASE_FILE = "fabric-lease.json";

export interface OverlayLease {
  version: 1;
  node: string;
  /** This node's claimed subnet, "10.254.1.0/24". */
  subnet: string;
  /** Address of the pod bridge in it (.1). */
  gateway: string;
  /** Dual-stack: this node's IPv6 subnet and its gateway (::1). */
  v6Subnet?: string;
  v6Gateway?: string;
  /** The whole fabric pool (pods reach other nodes' pods through it). */
  network: string;
  /** The vxlan device's MTU: pods and the bridge use it (multihost.md P8). */
  mtu: number;
  ttlSeconds: number;
  /** Last successful lease renewal (ms since the epoch). */
  renewedAt: number;
  /** The agent stopped trusting its claim (no renewal for a TTL, or a conflict): no new pods. */
  fenced: boolean;
  fenceReason?: string;
}

export function overlayLeasePath(dataDir: string): string {
  return join(dataDir, OVERLAY_LEASE_FILE);
}

/** The lease file, or null when absent; a malformed one is an error naming the file. */
export function readOverlayLease(dataDir: string): OverlayLease | null {
  const path = overlayLeasePath(dataDir);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new Error(`cannot read the fabric lease ${path}: ${(e as Error).message}`, { cause: e });
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`fabric lease ${path} is not JSON`, { cause: e });
  }
  const o = v as Partial<OverlayLease>;
  if (o?.version !== 1 || typeof o.subnet !== "string" || typeof o.gateway !== "string" || typeof o.mtu !== "number") {
    throw new Error(`fabric lease ${path} is malformed: ${text.slice(0, 200)}`);
  }
  return o as OverlayLease;
}

/**
 * Why this node must not start new pods on the overlay now, or undefined. Absent lease: never
 * claimed. Fenced: the agent said so. Stale renewal: the agent itself is gone (a TTL without renewal
 * means the claim may have expired and the subnet may be someone else's).
 */
export function leaseProblem(lease: OverlayLease | null, now = Date.now()): string | undefined {
  if (!lease) return "this node has no fabric subnet yet (quantumd in fabric mode has not claimed one)";
  if (lease.fenced) return `self-fenced: ${lease.fenceReason ?? "the subnet claim is not verified"}`;
  const age = now - lease.renewedAt;
  if (age > lease.ttlSeconds * 1000) {
    return `self-fenced: the subnet lease was last renewed ${Math.round(age / 1000)} s ago (TTL ${lease.ttlSeconds} s): is quantumd running?`;
  }
  return undefined;
}
