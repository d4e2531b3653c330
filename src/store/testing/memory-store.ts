// An in-process store with the SQLite store's semantics, for unit tests of the layers above.
// Transactions keep an undo log: a throw unwinds to the mark taken when that (possibly nested) call
// began, which is exactly what better-sqlite3's SAVEPOINT nesting does. Records are deep-copied in
// and out through JSON, as the SQLite columns do, so callers cannot alias stored state.
import { ipKey } from "../ip-key.js";
import type {
  Attachment,
  AttachmentInput,
  NetworkInput,
  NetworkRecord,
  PendingLinkDeletion,
  PendingLinkDeletionInput,
  Reservation,
  Store,
} from "../types.js";

type Undo = () => void;

const SEP = "\u0000";
const key = (...parts: string[]): string => parts.join(SEP);

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v ?? null)) as T;
}

export class MemoryStore implements Store {
  private readonly reservations = new Map<string, Reservation>(); // key(network, ip)
  private readonly last = new Map<string, string>(); // key(network, rangeId) -> ip
  private readonly attachments = new Map<string, Attachment>(); // key(network, cid, ifname)
  private readonly networks = new Map<string, NetworkRecord>();
  private readonly meta = new Map<string, string>();
  private readonly pending = new Map<number, PendingLinkDeletion>();
  private nextPendingId = 1;
  private undoLog: Undo[] | null = null;
  private closed = false;

  close(): void {
    this.closed = true;
  }

  private live(): void {
    if (this.closed) throw new Error("memory store is closed");
  }

  /** Applies a change to map and records how to take it back when inside a transaction. */
  private set<K, V>(map: Map<K, V>, k: K, v: V | undefined): void {
    if (this.undoLog !== null) {
      const had = map.has(k);
      const before = map.get(k);
      this.undoLog.push(() => (had ? map.set(k, before as V) : map.delete(k)));
    }
    if (v === undefined) map.delete(k);
    else map.set(k, v);
  }

  transaction<T>(fn: () => T): T {
    this.live();
    const outer = this.undoLog === null;
    if (outer) this.undoLog = [];
    const log = this.undoLog!;
    const mark = log.length;
    try {
      const out = fn();
      if (out instanceof Promise) {
        throw new TypeError("memory store: transaction callback returned a Promise; it must be synchronous");
      }
      return out;
    } catch (err) {
      while (log.length > mark) log.pop()!();
      throw err;
    } finally {
      if (outer) this.undoLog = null;
    }
  }

  reserve(r: Reservation): boolean {
    this.live();
    ipKey(r.ip); // validates, as the SQLite store does when it computes the key
    const k = key(r.network, r.ip);
    if (this.reservations.has(k)) return false;
    this.set(this.reservations, k, clone(r));
    return true;
  }

  lastReserved(network: string, rangeId: string): string | null {
    this.live();
    return this.last.get(key(network, rangeId)) ?? null;
  }

  setLastReserved(network: string, rangeId: string, ip: string): void {
    this.live();
    this.set(this.last, key(network, rangeId), ip);
  }

  releaseById(network: string, containerId: string, ifname: string): Reservation[] {
    const found = this.getById(network, containerId, ifname);
    for (const r of found) this.set(this.reservations, key(network, r.ip), undefined);
    return found;
  }

  getById(network: string, containerId: string, ifname: string): Reservation[] {
    this.live();
    return this.listReservations(network).filter((r) => r.containerId === containerId && r.ifname === ifname);
  }

  listReservations(network?: string): Reservation[] {
    this.live();
    return [...this.reservations.values()]
      .filter((r) => network === undefined || r.network === network)
      .sort((a, b) => cmp(a.network, b.network) || cmp(a.ip, b.ip))
      .map(clone);
  }

  findReservation(network: string, ip: string): Reservation | null {
    this.live();
    const r = this.reservations.get(key(network, ip));
    return r === undefined ? null : clone(r);
  }

  filterReserved(network: string, ips: readonly string[]): string[] {
    this.live();
    return [...new Set(ips)].filter((ip) => this.reservations.has(key(network, ip)));
  }

  countReservedBetween(network: string, fromIp: string, toIp: string): number {
    this.live();
    const lo = ipKey(fromIp);
    const hi = ipKey(toIp);
    let n = 0;
    for (const r of this.reservations.values()) {
      if (r.network !== network) continue;
      const k = ipKey(r.ip);
      if (Buffer.compare(lo, k) <= 0 && Buffer.compare(k, hi) <= 0) n++;
    }
    return n;
  }

  countReservations(network: string, rangeId?: string): number {
    this.live();
    let n = 0;
    for (const r of this.reservations.values()) {
      if (r.network === network && (rangeId === undefined || r.rangeId === rangeId)) n++;
    }
    return n;
  }

  putAttachment(a: AttachmentInput): Attachment {
    this.live();
    const stored = clone({ ...a, createdAt: a.createdAt ?? new Date().toISOString() });
    this.set(this.attachments, key(a.network, a.containerId, a.ifname), stored);
    return clone(stored);
  }

  getAttachment(network: string, containerId: string, ifname: string): Attachment | null {
    this.live();
    const a = this.attachments.get(key(network, containerId, ifname));
    return a === undefined ? null : clone(a);
  }

  deleteAttachment(network: string, containerId: string, ifname: string): boolean {
    this.live();
    const k = key(network, containerId, ifname);
    if (!this.attachments.has(k)) return false;
    this.set(this.attachments, k, undefined);
    return true;
  }

  listAttachments(network?: string): Attachment[] {
    this.live();
    return [...this.attachments.values()]
      .filter((a) => network === undefined || a.network === network)
      .sort((a, b) => cmp(a.network, b.network) || cmp(a.containerId, b.containerId) || cmp(a.ifname, b.ifname))
      .map(clone);
  }

  getMeta(key: string): string | null {
    this.live();
    return this.meta.get(key) ?? null;
  }

  setMeta(key: string, value: string): void {
    this.live();
    this.set(this.meta, key, value);
  }

  deleteMeta(key: string): boolean {
    this.live();
    if (!this.meta.has(key)) return false;
    this.set(this.meta, key, undefined);
    return true;
  }

  putNetwork(n: NetworkInput): NetworkRecord {
    this.live();
    const stored = clone({ ...n, createdAt: n.createdAt ?? new Date().toISOString() });
    this.set(this.networks, n.name, stored);
    return clone(stored);
  }

  getNetwork(name: string): NetworkRecord | null {
    this.live();
    const n = this.networks.get(name);
    return n === undefined ? null : clone(n);
  }

  deleteNetwork(name: string): boolean {
    this.live();
    if (!this.networks.has(name)) return false;
    this.set(this.networks, name, undefined);
    return true;
  }

  listNetworks(): NetworkRecord[] {
    this.live();
    return [...this.networks.values()].sort((a, b) => cmp(a.name, b.name)).map(clone);
  }

  addPendingLinkDeletion(p: PendingLinkDeletionInput): PendingLinkDeletion {
    this.live();
    const stored = clone({ ...p, id: this.nextPendingId++, createdAt: p.createdAt ?? new Date().toISOString() });
    this.set(this.pending, stored.id, stored);
    return clone(stored);
  }

  listPendingLinkDeletions(): PendingLinkDeletion[] {
    this.live();
    return [...this.pending.values()].sort((a, b) => a.id - b.id).map(clone);
  }

  removePendingLinkDeletion(id: number): boolean {
    this.live();
    if (!this.pending.has(id)) return false;
    this.set(this.pending, id, undefined);
    return true;
  }
}
