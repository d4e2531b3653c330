// The etcd client the fabric uses: one single-endpoint etcd3 client per member, and rotation of our
// own across them. etcd3's pooled client hides which member a call or stream sits on, and its default
// per-host circuit breaker turns one leader election into ≥5 s of client-side outage (multihost.md
// P1, P2): here every client has no breaker and no retry of its own; a failed call moves on to the
// next member at once. Call deadlines are 3 s (longer than an election); gRPC keepalive 5 s without
// pings on idle connections, which etcd's default enforcement accepts (P3).
import { noop } from "cockatiel";
import { Etcd3, type IOptions } from "etcd3";

export interface EtcdClusterOptions {
  /** Per-call deadline for unary calls, ms (default 3000). */
  callTimeoutMs?: number;
  /** gRPC keepalive interval, ms (default 5000). */
  keepaliveTimeMs?: number;
  /** Time to connect, ms (default 3000). */
  dialTimeoutMs?: number;
}

/** Every member failed for one call: the causes, one per endpoint, are kept. */
export class EtcdUnavailableError extends Error {
  constructor(
    readonly what: string,
    readonly failures: { endpoint: string; error: unknown }[],
  ) {
    super(
      `${what}: no etcd member answered (${failures.map((f) => `${f.endpoint}: ${errorText(f.error)}`).join("; ")})`,
      { cause: failures[0]?.error },
    );
    this.name = "EtcdUnavailableError";
  }
}

export function errorText(e: unknown): string {
  return e instanceof Error ? (e.message.split("\n")[0] ?? e.name) : String(e);
}

/** Endpoints from "http://a:2379,http://b:2379": trimmed, de-duplicated, each an http(s) URL. */
export function parseEndpoints(text: string): string[] {
  const list = [
    ...new Set(
      text
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== ""),
    ),
  ];
  if (list.length === 0) throw new TypeError(`etcd endpoints: none given in "${text}"`);
  for (const e of list) {
    if (!/^https?:\/\/[^/\s]+$/.test(e)) throw new TypeError(`etcd endpoint "${e}" is not http(s)://host:port`);
  }
  return list;
}

export class EtcdCluster {
  readonly endpoints: readonly string[];
  readonly clients: readonly Etcd3[];
  /**
   * A second client per member, only for the lease keep-alive's short streams. Measured: sharing
   * one client made every watch on it die with "Connection dropped" at its next gRPC keepalive ping
   * after a keep-alive stream had been opened and cancelled (etcd3 1.1.2 + grpc-js 1.14).
   */
  readonly keepAliveClients: readonly Etcd3[];
  readonly callTimeoutMs: number;
  #current = 0;
  #errors = 0;
  #closed = false;

  constructor(endpoints: string[], o: EtcdClusterOptions = {}) {
    if (endpoints.length === 0) throw new TypeError("EtcdCluster: at least one endpoint is needed");
    this.endpoints = [...endpoints];
    this.callTimeoutMs = o.callTimeoutMs ?? 3000;
    const timeout = this.callTimeoutMs;
    const make = (host: string, isolated: boolean): Etcd3 => {
      const options: IOptions = {
        hosts: [host],
        dialTimeout: o.dialTimeoutMs ?? 3000,
        grpcOptions: {
          "grpc.keepalive_time_ms": o.keepaliveTimeMs ?? 5000,
          "grpc.keepalive_timeout_ms": 2000,
          "grpc.keepalive_permit_without_calls": 0,
          // Keep-alive clients get connections of their own (see keepAliveClients).
          ...(isolated ? { "grpc.use_local_subchannel_pool": 1 } : {}),
        },
        // A factory: every attempt gets a fresh deadline; streams have none (the keep-alive sets its own).
        defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeout }),
        faultHandling: { host: () => noop, global: noop },
      };
      return new Etcd3(options);
    };
    this.clients = endpoints.map((h) => make(h, false));
    this.keepAliveClients = endpoints.map((h) => make(h, true));
  }

  /** Calls that failed on some member since start (a metric). */
  get errors(): number {
    return this.#errors;
  }

  /** The member calls go to first. */
  get currentEndpoint(): string {
    return this.endpoints[this.#current] ?? "";
  }

  /** Moves the preferred member on (after a failure seen elsewhere, e.g. a keep-alive or a watch). */
  rotate(): void {
    this.#current = (this.#current + 1) % this.clients.length;
  }

  /**
   * Runs fn on the preferred member; on failure tries each other member once, in order, and keeps the
   * first that worked as the preferred one. Errors that are answers (a lease not found) are not retried.
   */
  async call<T>(
    what: string,
    fn: (c: Etcd3) => Promise<T>,
    isAnswer: (e: unknown) => boolean = () => false,
  ): Promise<T> {
    if (this.#closed) throw new Error(`${what}: the etcd client is closed`);
    const failures: { endpoint: string; error: unknown }[] = [];
    for (let i = 0; i < this.clients.length; i++) {
      const idx = (this.#current + i) % this.clients.length;
      const client = this.clients[idx];
      if (!client) continue;
      try {
        const out = await fn(client);
        this.#current = idx;
        return out;
      } catch (e) {
        if (isAnswer(e)) throw e;
        this.#errors++;
        failures.push({ endpoint: this.endpoints[idx] ?? "?", error: e });
      }
    }
    this.rotate();
    throw new EtcdUnavailableError(what, failures);
  }

  /** Each member's own view (Maintenance.Status), with the time it took. */
  async health(): Promise<EndpointHealth[]> {
    return Promise.all(
      this.clients.map(async (c, i) => {
        const endpoint = this.endpoints[i] ?? "?";
        const t0 = performance.now();
        try {
          const s = await c.maintenance.status({ deadline: Date.now() + this.callTimeoutMs });
          const leader = s.leader !== "0" && s.leader !== "";
          return {
            endpoint,
            healthy: leader,
            ms: Math.round((performance.now() - t0) * 10) / 10,
            isLeader: s.leader === s.header.member_id,
            version: s.version,
            ...(leader ? {} : { error: "member has no leader" }),
          };
        } catch (e) {
          return {
            endpoint,
            healthy: false,
            ms: Math.round(performance.now() - t0),
            isLeader: false,
            error: errorText(e),
          };
        }
      }),
    );
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of [...this.clients, ...this.keepAliveClients]) c.close();
  }
}

export interface EndpointHealth {
  endpoint: string;
  healthy: boolean;
  ms: number;
  isLeader: boolean;
  version?: string;
  error?: string;
}
