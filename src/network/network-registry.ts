// The host-wide network registry's rules. Every network, whether made through quantumctl/the
// library or first seen in a conflist on the CNI path, is claimed here with its bridge, subnets and
// data dir before anything of it is built: two networks never share a bridge or overlap in address
// space in one network namespace, whatever data dir they name, and one name means one network.
//
// A registration outlives its containers (nothing tells us a conflist was removed), so a
// conflicting entry only blocks while it is live: its bridge exists or its store holds attachments.
// A dead one is replaced, so a user who edits a conflist after its containers are gone is not stuck;
// `quantumctl registry forget` removes one by hand.
import { cidrsOverlap } from "../ipam/index.js";
import { currentNetnsId } from "../kernel/index.js";
import type { RegistryEntry, RegistryStore } from "../store/index.js";
import { NetworkConflictError } from "./errors.js";

/** What a network claims. */
export interface NetworkClaim {
  name: string;
  driver: string;
  bridge: string;
  subnets: string[];
  dataDir: string;
}

/** Whether a registered network is still in use (its bridge exists, or it has attachments). */
export type LivenessProbe = (entry: RegistryEntry) => boolean;

/**
 * The network namespace this thread runs in (the registry's scope): its netns cookie, so that a
 * namespace that died and a new one given the same inode number never share registrations.
 */
export function currentNetnsScope(): string {
  return currentNetnsId();
}

/** Why `a` and `b` cannot both exist in one netns, or undefined. */
export function conflictReason(a: NetworkClaim, b: NetworkClaim): string | undefined {
  if (a.name === b.name) {
    const diffs: string[] = [];
    if (a.driver !== b.driver) diffs.push(`driver "${b.driver}" there, "${a.driver}" here`);
    if (a.bridge !== b.bridge) diffs.push(`bridge "${b.bridge}" there, "${a.bridge}" here`);
    if (a.subnets.join(",") !== b.subnets.join(","))
      diffs.push(`subnets [${b.subnets.join(", ")}] there, [${a.subnets.join(", ")}] here`);
    if (a.dataDir !== b.dataDir) diffs.push(`data dir ${b.dataDir} there, ${a.dataDir} here`);
    return diffs.length > 0 ? `the same name with ${diffs.join(", ")}` : undefined;
  }
  if (a.bridge !== "" && a.bridge === b.bridge) return `both use bridge "${a.bridge}"`;
  for (const x of a.subnets) {
    for (const y of b.subnets) if (cidrsOverlap(x, y)) return `subnet ${x} overlaps ${y}`;
  }
  return undefined;
}

const CLAIM_TTL_MS = 10_000;
const FRESH_MS = 10_000;

export class NetworkRegistry {
  readonly #store: RegistryStore;
  readonly #scope: () => string;
  /**
   * Claims this process made recently (network name → the claim as JSON, and when): a busy daemon
   * pays for one registry transaction per network every CLAIM_TTL_MS, not per ADD. Short, so a
   * registration another process replaced (ours looked dead) or an operator forgot is claimed again soon.
   */
  readonly #claimed = new Map<string, { claim: string; at: number }>();

  readonly #freshMs: number;

  /** @param freshMs how long a new registration is live regardless of its probe (default 10 s) */
  constructor(store: RegistryStore, scope: () => string = currentNetnsScope, freshMs = FRESH_MS) {
    this.#store = store;
    this.#scope = scope;
    this.#freshMs = freshMs;
  }

  get path(): string {
    return this.#store.path;
  }

  /**
   * Registers `claim`, or refuses it when a live network conflicts; dead conflicting entries are
   * replaced (after `onDead` cleared what they left). One transaction: of two processes racing conflicting claims, one wins.
   * @returns true when this call wrote the registration (new or changed), false when it stood
   * @throws NetworkConflictError naming the other network and why
   */
  claim(claim: NetworkClaim, isLive: LivenessProbe, onDead: (entry: RegistryEntry) => void = () => {}): boolean {
    const key = JSON.stringify(claim);
    const recent = this.#claimed.get(claim.name);
    if (recent?.claim === key && Date.now() - recent.at < CLAIM_TTL_MS) return false;
    const scope = this.#scope();
    // The common case, without the write lock: already registered as is, nothing conflicting. A
    // conflicting claim racing this one takes the lock and sees our row, so reading is enough.
    const entries = this.#store.list(scope);
    const mine = entries.find((e) => e.name === claim.name);
    if (
      mine &&
      conflictReason(claim, mine) === undefined &&
      !entries.some((e) => conflictReason(claim, e) !== undefined)
    ) {
      this.#claimed.set(claim.name, { claim: key, at: Date.now() });
      return false;
    }
    this.#store.transaction(() => {
      for (const other of this.#store.list(scope)) {
        const reason = conflictReason(claim, other);
        if (reason === undefined) continue;
        // A registration younger than FRESH_MS counts as live whatever the probe says: its first
        // ADD may not have made its bridge or reserved its first address yet.
        const fresh = Date.now() - Date.parse(other.updatedAt) < this.#freshMs;
        if (!fresh && !isLive(other)) {
          // What the dead network left in the kernel (its firewall jump on the bridge) would
          // collide with ours: cleared with its registration.
          onDead(other);
          this.#store.remove(scope, other.name);
          continue;
        }
        throw new NetworkConflictError(claim.name, other.name, other.dataDir, reason);
      }
      this.#store.put({ ...claim, scope, updatedAt: new Date().toISOString() });
    });
    this.#claimed.set(claim.name, { claim: key, at: Date.now() });
    return true;
  }

  /**
   * Undoes a registration a failed ADD made, unless the network is in use after all (another ADD
   * of it succeeded meanwhile): a refused or failed first ADD must not hold the name or subnet.
   */
  release(claim: NetworkClaim, isLive: LivenessProbe): void {
    this.#claimed.delete(claim.name);
    const scope = this.#scope();
    this.#store.transaction(() => {
      const mine = this.#store.list(scope).find((e) => e.name === claim.name);
      if (mine && conflictReason(claim, mine) === undefined && !isLive(mine)) this.#store.remove(scope, claim.name);
    });
  }

  /** Removes a registration (quantumctl registry forget, network deletion); true when there was one. */
  forget(name: string): boolean {
    this.#claimed.delete(name);
    return this.#store.remove(this.#scope(), name);
  }

  list(): RegistryEntry[] {
    return this.#store.list(this.#scope());
  }

  close(): void {
    this.#store.close();
  }
}
