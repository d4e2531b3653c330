// What the Docker driver must remember, keyed by Docker's ids: Docker never replays pools,
// networks or endpoints to a restarted driver, so all of it is persisted in the store (one meta
// record, read and written inside the caller's store transaction) next to the reservations it
// refers to. A restart of quantumd loses nothing.
import { z } from "zod";

const Pool = z.object({
  id: z.string(),
  subnet: z.string(),
  family: z.union([z.literal(4), z.literal(6)]),
  /** Plain address, set by the gateway RequestAddress. */
  gateway: z.string().optional(),
  /** Aux addresses Docker asked for before the network existed (reserved at CreateNetwork). */
  aux: z.array(z.string()),
  /** The quantum network the pool became, set at CreateNetwork. */
  network: z.string().optional(),
});
export type Pool = z.infer<typeof Pool>;

const DockerNetwork = z.object({
  id: z.string(),
  /** The quantum network's name. */
  name: z.string(),
  pools: z.array(z.string()),
  createdAt: z.string(),
});
export type DockerNetwork = z.infer<typeof DockerNetwork>;

const Endpoint = z.object({
  id: z.string(),
  networkId: z.string(),
  network: z.string(),
  /** CIDRs, as Docker gave them at CreateEndpoint. */
  addresses: z.array(z.string()),
  /** Holder keys of those addresses in the allocator. */
  keys: z.array(z.string()),
  hostIfname: z.string(),
  peerIfname: z.string(),
  sandboxKey: z.string().optional(),
});
export type Endpoint = z.infer<typeof Endpoint>;

const State = z.object({
  version: z.literal(1),
  pools: z.record(z.string(), Pool),
  networks: z.record(z.string(), DockerNetwork),
  endpoints: z.record(z.string(), Endpoint),
});
export type DockerState = z.infer<typeof State>;

/** The part of the store this needs (MetaStore). */
export interface MetaAccess {
  getMeta(key: string): string | null;
  setMeta(key: string, value: string): void;
}

/** One key per socket name, so two drivers (two socket names) on one data dir do not mix. */
export function stateKey(driverName: string): string {
  return `docker-driver:${driverName}`;
}

export function emptyState(): DockerState {
  return { version: 1, pools: {}, networks: {}, endpoints: {} };
}

/** Reads the state. @throws Error when the stored record is not a state this version understands. */
export function loadState(meta: MetaAccess, key: string): DockerState {
  const text = meta.getMeta(key);
  if (text === null) return emptyState();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`docker driver state "${key}" is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = State.safeParse(json);
  if (!parsed.success) {
    throw new Error(`docker driver state "${key}" is not understood: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  }
  return parsed.data;
}

export function saveState(meta: MetaAccess, key: string, state: DockerState): void {
  meta.setMeta(key, JSON.stringify(state));
}
