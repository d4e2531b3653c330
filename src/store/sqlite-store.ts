// The embedded store: one SQLite file shared by the daemon and any direct-mode plugin process.
// WAL lets readers run beside the single writer; BEGIN IMMEDIATE takes the write lock up front so two
// allocators never both read "free" and then race to write; busy_timeout makes the loser wait, not fail.
import { chmodSync, existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { classifyStoreError, StoreDamagedError, StoreFullError } from "./errors.js";
import { ipKey } from "./ip-key.js";
import {
  type AttachmentRow,
  type NetworkRow,
  type PendingRow,
  type ReservationRow,
  toAttachment,
  toJson,
  toNetwork,
  toPending,
  toReservation,
} from "./rows.js";
import { migrate } from "./schema.js";
import type {
  Attachment,
  AttachmentInput,
  NetworkInput,
  NetworkRecord,
  PendingLinkDeletion,
  PendingLinkDeletionInput,
  Reservation,
  Store,
} from "./types.js";

export const DB_FILE_NAME = "quantum.db";

export interface SqliteStoreOptions {
  /** How long a writer waits for another process's transaction before failing. Default 10 000 ms. */
  busyTimeoutMs?: number;
}

/** The statement calls the store makes; each SQLite failure is classified (damaged, full). */
interface Statement {
  run(...params: unknown[]): Database.RunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

/**
 * Files that passed PRAGMA quick_check in this process, by path → "ino:size:mtime": a daemon
 * checks a data dir once, not on every reopen; a changed file is checked again.
 */
const checked = new Map<string, string>();

function fileKey(path: string): string {
  const st = statSync(path);
  return `${st.ino}:${st.size}:${st.mtimeMs}`;
}

/**
 * PRAGMA quick_check: O(pages) but no index cross-check (see the report for its cost on a
 * 1000-attachment store). Catches overwritten pages, the finding of issue 10.
 * @throws StoreDamagedError with SQLite's first complaint
 */
function checkIntegrity(db: Database.Database, path: string): void {
  const key = fileKey(path);
  if (checked.get(path) === key) return;
  const rows = db.pragma("quick_check(5)") as { quick_check: string }[];
  const problems = rows.map((r) => r.quick_check).filter((r) => r !== "ok");
  if (problems.length > 0) throw new StoreDamagedError(path, problems.join("; "));
  checked.set(path, key);
}

/**
 * Attachments of `network` in the store of another data dir, read-only; undefined when that data
 * dir has no store (the registry's liveness probe must not create one).
 */
export function countAttachmentsAt(dataDir: string, network: string): number | undefined {
  const path = join(dataDir, DB_FILE_NAME);
  if (!existsSync(path)) return undefined;
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 10_000 });
  try {
    const row = db.prepare("SELECT count(*) AS n FROM attachments WHERE network = ?").get(network) as { n: number };
    return row.n;
  } finally {
    db.close();
  }
}

export class SqliteStore implements Store {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly runInTransaction: Database.Transaction<(fn: () => unknown) => unknown>;
  private closed = false;

  private constructor(
    private readonly db: Database.Database,
    /** Path of the database file, for messages. */
    readonly path: string,
  ) {
    // One wrapper for every transaction: better-sqlite3 turns a nested call into a SAVEPOINT itself.
    this.runInTransaction = db.transaction((fn: () => unknown) => {
      const out = fn();
      if (out instanceof Promise) {
        // Throwing here rolls back; an async fn would otherwise commit before its awaits ran.
        throw new TypeError(`store "${this.path}": transaction callback returned a Promise; it must be synchronous`);
      }
      return out;
    });
  }

  /**
   * Opens (creating if needed) `<dataDir>/quantum.db`. dataDir is created with mode 0700, a new
   * database file with mode 0600. Cheap when the schema is current: no write lock is taken.
   * @throws Error naming the path when the directory or file cannot be opened or migrated.
   */
  static open(dataDir: string, options: SqliteStoreOptions = {}): SqliteStore {
    const path = join(dataDir, DB_FILE_NAME);
    let db: Database.Database | undefined;
    try {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      const fresh = !existsSync(path);
      db = new Database(path, { timeout: options.busyTimeoutMs ?? 10_000 });
      // SQLite gives -wal and -shm files the database file's mode, so this covers them too.
      if (fresh) chmodSync(path, 0o600);
      // Persistent in the file after the first time; re-asking costs no lock when it is already WAL.
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      if (!fresh) checkIntegrity(db, path);
      migrate(db);
      return new SqliteStore(db, path);
    } catch (err) {
      db?.close();
      const known = classifyStoreError(err, path);
      if (known instanceof StoreDamagedError || known instanceof StoreFullError) throw known;
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(`cannot open store "${path}": ${why}`, { cause: err });
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.statements.clear();
    this.db.close();
  }

  /** Prepared once per SQL text and kept: preparing costs more than most of these queries. */
  private stmt(sql: string): Statement {
    if (this.closed) throw new Error(`store "${this.path}" is closed`);
    let s = this.statements.get(sql);
    if (s === undefined) {
      try {
        s = this.db.prepare(sql);
      } catch (err) {
        throw classifyStoreError(err, this.path);
      }
      this.statements.set(sql, s);
    }
    const prepared = s;
    const guard =
      <R>(fn: () => R) =>
      (): R => {
        try {
          return fn();
        } catch (err) {
          throw classifyStoreError(err, this.path);
        }
      };
    return {
      run: (...p) => guard(() => prepared.run(...p))(),
      get: (...p) => guard(() => prepared.get(...p))(),
      all: (...p) => guard(() => prepared.all(...p))(),
    };
  }

  /**
   * A write that fails for space first truncates the write-ahead log (the daemon's WAL is often
   * what filled a small disk) and is retried once; the failed attempt has rolled back.
   */
  transaction<T>(fn: () => T): T {
    if (this.closed) throw new Error(`store "${this.path}" is closed`);
    try {
      return this.#immediate(fn);
    } catch (err) {
      if (!(err instanceof StoreFullError) || this.db.inTransaction) throw err;
      this.checkpoint();
      return this.#immediate(fn);
    }
  }

  #immediate<T>(fn: () => T): T {
    try {
      return this.runInTransaction.immediate(fn) as T;
    } catch (err) {
      throw classifyStoreError(err, this.path);
    }
  }

  verify(): void {
    try {
      checkIntegrity(this.db, this.path);
    } catch (err) {
      throw classifyStoreError(err, this.path);
    }
  }

  health(): string[] {
    const problems: string[] = [];
    try {
      checkIntegrity(this.db, this.path);
    } catch (err) {
      problems.push((classifyStoreError(err, this.path) as Error).message);
      return problems;
    }
    try {
      // A real write, as ADD would make: a full disk shows here, not at the next ADD.
      this.transaction(() => this.setMeta("health-probe", new Date().toISOString()));
    } catch (err) {
      problems.push((classifyStoreError(err, this.path) as Error).message);
    }
    return problems;
  }

  /**
   * Copies the write-ahead log into the database and truncates it to zero bytes (the daemon calls
   * this periodically; a write that fails for space calls it). Never throws: it is housekeeping.
   * @returns false when the log could not be truncated (readers active, or an error)
   */
  checkpoint(): boolean {
    try {
      const [row] = this.db.pragma("wal_checkpoint(TRUNCATE)") as { busy: number }[];
      return row?.busy === 0;
    } catch {
      return false;
    }
  }

  reserve(r: Reservation): boolean {
    const info = this.stmt(
      `INSERT INTO reservations (network, ip, ip_key, range_id, container_id, ifname, prefix_length, gateway)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (network, ip) DO NOTHING`,
    ).run(r.network, r.ip, ipKey(r.ip), r.rangeId, r.containerId, r.ifname, r.prefixLength ?? null, r.gateway ?? null);
    return info.changes === 1;
  }

  lastReserved(network: string, rangeId: string): string | null {
    const row = this.stmt("SELECT ip FROM last_reserved WHERE network = ? AND range_id = ?").get(network, rangeId) as
      | { ip: string }
      | undefined;
    return row?.ip ?? null;
  }

  setLastReserved(network: string, rangeId: string, ip: string): void {
    this.stmt(
      `INSERT INTO last_reserved (network, range_id, ip) VALUES (?, ?, ?)
       ON CONFLICT (network, range_id) DO UPDATE SET ip = excluded.ip`,
    ).run(network, rangeId, ip);
  }

  releaseById(network: string, containerId: string, ifname: string): Reservation[] {
    const rows = this.stmt(
      "DELETE FROM reservations WHERE network = ? AND container_id = ? AND ifname = ? RETURNING *",
    ).all(network, containerId, ifname) as ReservationRow[];
    // RETURNING order is unspecified; callers get the same order as getById.
    return rows.map(toReservation).sort(byIp);
  }

  getById(network: string, containerId: string, ifname: string): Reservation[] {
    const rows = this.stmt(
      "SELECT * FROM reservations WHERE network = ? AND container_id = ? AND ifname = ? ORDER BY ip",
    ).all(network, containerId, ifname) as ReservationRow[];
    return rows.map(toReservation);
  }

  listReservations(network?: string): Reservation[] {
    const rows = (
      network === undefined
        ? this.stmt("SELECT * FROM reservations ORDER BY network, ip").all()
        : this.stmt("SELECT * FROM reservations WHERE network = ? ORDER BY ip").all(network)
    ) as ReservationRow[];
    return rows.map(toReservation);
  }

  findReservation(network: string, ip: string): Reservation | null {
    const row = this.stmt("SELECT * FROM reservations WHERE network = ? AND ip = ?").get(network, ip) as
      | ReservationRow
      | undefined;
    return row === undefined ? null : toReservation(row);
  }

  filterReserved(network: string, ips: readonly string[]): string[] {
    if (ips.length === 0) return [];
    // One statement for any batch size: the candidates travel as one JSON array parameter.
    const rows = this.stmt(
      "SELECT ip FROM reservations WHERE network = ? AND ip IN (SELECT value FROM json_each(?))",
    ).all(network, JSON.stringify(ips)) as { ip: string }[];
    return rows.map((r) => r.ip);
  }

  countReservedBetween(network: string, fromIp: string, toIp: string): number {
    const row = this.stmt("SELECT count(*) AS n FROM reservations WHERE network = ? AND ip_key BETWEEN ? AND ?").get(
      network,
      ipKey(fromIp),
      ipKey(toIp),
    ) as { n: number };
    return row.n;
  }

  countReservations(network: string, rangeId?: string): number {
    const row = (
      rangeId === undefined
        ? this.stmt("SELECT count(*) AS n FROM reservations WHERE network = ?").get(network)
        : this.stmt("SELECT count(*) AS n FROM reservations WHERE network = ? AND range_id = ?").get(network, rangeId)
    ) as { n: number };
    return row.n;
  }

  getMeta(key: string): string | null {
    const row = this.stmt("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.stmt("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").run(key, value);
  }

  deleteMeta(key: string): boolean {
    return this.stmt("DELETE FROM meta WHERE key = ?").run(key).changes > 0;
  }

  putAttachment(a: AttachmentInput): Attachment {
    const stored: Attachment = { ...a, createdAt: a.createdAt ?? new Date().toISOString() };
    this.stmt(
      `INSERT OR REPLACE INTO attachments (network, container_id, ifname, netns, host_ifname, ips, result, created_at,
         pod_namespace, pod_name, pod_uid, pod_infra_container_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      a.network,
      a.containerId,
      a.ifname,
      a.netns,
      a.hostIfname ?? null,
      JSON.stringify(a.ips),
      toJson(a.result),
      stored.createdAt,
      a.pod?.namespace ?? null,
      a.pod?.name ?? null,
      a.pod?.uid ?? null,
      a.pod?.infraContainerId ?? null,
    );
    return this.getAttachment(a.network, a.containerId, a.ifname)!;
  }

  getAttachment(network: string, containerId: string, ifname: string): Attachment | null {
    const row = this.stmt("SELECT * FROM attachments WHERE network = ? AND container_id = ? AND ifname = ?").get(
      network,
      containerId,
      ifname,
    ) as AttachmentRow | undefined;
    return row === undefined ? null : toAttachment(row);
  }

  deleteAttachment(network: string, containerId: string, ifname: string): boolean {
    const info = this.stmt("DELETE FROM attachments WHERE network = ? AND container_id = ? AND ifname = ?").run(
      network,
      containerId,
      ifname,
    );
    return info.changes > 0;
  }

  listAttachments(network?: string): Attachment[] {
    const rows = (
      network === undefined
        ? this.stmt("SELECT * FROM attachments ORDER BY network, container_id, ifname").all()
        : this.stmt("SELECT * FROM attachments WHERE network = ? ORDER BY container_id, ifname").all(network)
    ) as AttachmentRow[];
    return rows.map(toAttachment);
  }

  putNetwork(n: NetworkInput): NetworkRecord {
    const createdAt = n.createdAt ?? new Date().toISOString();
    this.stmt("INSERT OR REPLACE INTO networks (name, spec, created_at) VALUES (?, ?, ?)").run(
      n.name,
      toJson(n.spec),
      createdAt,
    );
    return this.getNetwork(n.name)!;
  }

  getNetwork(name: string): NetworkRecord | null {
    const row = this.stmt("SELECT * FROM networks WHERE name = ?").get(name) as NetworkRow | undefined;
    return row === undefined ? null : toNetwork(row);
  }

  deleteNetwork(name: string): boolean {
    return this.stmt("DELETE FROM networks WHERE name = ?").run(name).changes > 0;
  }

  listNetworks(): NetworkRecord[] {
    return (this.stmt("SELECT * FROM networks ORDER BY name").all() as NetworkRow[]).map(toNetwork);
  }

  addPendingLinkDeletion(p: PendingLinkDeletionInput): PendingLinkDeletion {
    const row = this.stmt(
      `INSERT INTO pending_link_deletions (netns, ifname, host_ifname, network, container_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
    ).get(
      p.netns,
      p.ifname,
      p.hostIfname ?? null,
      p.network,
      p.containerId,
      p.createdAt ?? new Date().toISOString(),
    ) as PendingRow;
    return toPending(row);
  }

  listPendingLinkDeletions(): PendingLinkDeletion[] {
    return (this.stmt("SELECT * FROM pending_link_deletions ORDER BY id").all() as PendingRow[]).map(toPending);
  }

  removePendingLinkDeletion(id: number): boolean {
    return this.stmt("DELETE FROM pending_link_deletions WHERE id = ?").run(id).changes > 0;
  }
}

function byIp(a: Reservation, b: Reservation): number {
  return a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0;
}
