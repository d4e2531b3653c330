// Our own lease keep-alive (multihost.md §2.6, §4.8): every interval, one keep-alive on a fresh
// short-lived stream to one member with a 500 ms deadline; a failure moves to the next member at
// once. etcd3's Lease object keeps one long-lived stream that can sit on a blackholed member for a
// whole TTL and then gives up for good (P1, P5): with this loop a healthy node never lost its lease
// in the forced worst case. The keeper only reports; the agent decides (fence, re-claim).
import type { Etcd3 } from "etcd3";
import { errorText } from "./etcd-cluster.js";

/** What the keeper needs of a member's client (an Etcd3; a fake in unit tests). */
export interface KeepAliveClient {
  leaseClient: Pick<Etcd3["leaseClient"], "leaseKeepAlive">;
}

/** What the keeper needs of the cluster (EtcdCluster). */
export interface KeepAliveCluster {
  readonly keepAliveClients: readonly KeepAliveClient[];
  readonly endpoints: readonly string[];
  readonly currentEndpoint: string;
}

export interface LeaseKeeperEvents {
  /** A member confirmed the lease; ttl = seconds granted from now. */
  renewed(ttl: number, endpoint: string): void;
  /** A member answered that the lease no longer exists (it expired or was revoked). */
  gone(): void;
  /** Every member failed in this round. */
  failed(errors: string[]): void;
}

export interface LeaseKeeperOptions {
  intervalMs: number;
  /** Deadline of one attempt (default 500 ms). */
  attemptTimeoutMs?: number;
}

export class LeaseKeeper {
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #index: number;
  #running = false;
  lastRenewal = 0;

  constructor(
    private readonly cluster: KeepAliveCluster,
    readonly leaseId: string,
    private readonly events: LeaseKeeperEvents,
    private readonly o: LeaseKeeperOptions,
  ) {
    this.#index = Math.max(0, cluster.endpoints.indexOf(cluster.currentEndpoint));
  }

  start(): void {
    void this.#tick();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  /** One round now (also used right after a claim); rounds never overlap. */
  async #tick(): Promise<void> {
    if (this.#stopped || this.#running) return;
    this.#running = true;
    try {
      await this.round();
    } finally {
      this.#running = false;
      if (!this.#stopped) this.#timer = setTimeout(() => void this.#tick(), this.o.intervalMs);
    }
  }

  /** Tries each member at most once, starting with the last one that worked. */
  async round(): Promise<void> {
    const n = this.cluster.keepAliveClients.length;
    const errors: string[] = [];
    for (let i = 0; i < n && !this.#stopped; i++) {
      const idx = (this.#index + i) % n;
      const client = this.cluster.keepAliveClients[idx];
      const endpoint = this.cluster.endpoints[idx] ?? "?";
      if (!client) continue;
      try {
        const ttl = await keepAliveOnce(client, this.leaseId, this.o.attemptTimeoutMs ?? 500);
        this.#index = idx;
        if (ttl <= 0) {
          this.events.gone();
          return;
        }
        this.lastRenewal = Date.now();
        this.events.renewed(ttl, endpoint);
        return;
      } catch (e) {
        errors.push(`${endpoint}: ${errorText(e)}`);
      }
    }
    if (!this.#stopped) {
      this.#index = (this.#index + 1) % n;
      this.events.failed(errors);
    }
  }
}

/** One keep-alive on its own stream: resolves with the TTL etcd answered (0: lease not found). */
export async function keepAliveOnce(client: KeepAliveClient, id: string, timeoutMs: number): Promise<number> {
  const stream = await client.leaseClient.leaseKeepAlive({ deadline: Date.now() + timeoutMs });
  return new Promise<number>((resolve, reject) => {
    let done = false;
    const finish = (f: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        stream.cancel();
      } catch {
        // already closed
      }
      f();
    };
    // The call deadline should end it; this timer is the backstop if the stream never even opens.
    const timer = setTimeout(
      () => finish(() => reject(new Error(`keep-alive: no answer in ${timeoutMs} ms`))),
      timeoutMs + 100,
    );
    stream.on("data", (r) => finish(() => resolve(Number(r.TTL))));
    stream.on("error", (e) => finish(() => reject(e)));
    stream.on("end", () => finish(() => reject(new Error("keep-alive: stream ended without an answer"))));
    stream.write({ ID: id });
  });
}
