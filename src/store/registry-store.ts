// The host-wide network registry's persistence: one small SQLite file independent of every
// network's data dir (a network naming another dataDir must still meet the others here). Rows are
// keyed by (scope, name): the scope is the network namespace the networks' bridges and routes
// live in, so networks of two separate network stacks never conflict. Writes go through
// BEGIN IMMEDIATE so two processes racing the first ADD of two conflicting networks serialise:
// the second one sees the first one's row.
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";

export const REGISTRY_FILE_NAME = "registry.db";

/** One registered network, as the conflict rules need it. */
export interface RegistryEntry {
  scope: string;
  name: string;
  driver: string;
  /** Empty for drivers without a bridge (macvlan). */
  bridge: string;
  /** CIDRs of the network's address space (built-in IPAM subnets). */
  subnets: string[];
  /** The data dir whose store holds the network's attachments. */
  dataDir: string;
  updatedAt: string;
}

export interface RegistryStore {
  /** Runs fn exclusively across processes (BEGIN IMMEDIATE); a throw rolls back. */
  transaction<T>(fn: () => T): T;
  list(scope: string): RegistryEntry[];
  put(e: RegistryEntry): void;
  remove(scope: string, name: string): boolean;
  close(): void;
  /** Where it lives, for messages. */
  readonly path: string;
}

interface Row {
  scope: string;
  name: string;
  driver: string;
  bridge: string;
  subnets: string;
  data_dir: string;
  updated_at: string;
}

export class SqliteRegistryStore implements RegistryStore {
  readonly #db: Database.Database;
  readonly path: string;

  private constructor(db: Database.Database, path: string) {
    this.#db = db;
    this.path = path;
  }

  /**
   * Opens (creating) `<dir>/registry.db`.
   * @throws Error naming the path when it cannot be opened.
   */
  static open(dir: string): SqliteRegistryStore {
    const path = join(dir, REGISTRY_FILE_NAME);
    let db: Database.Database | undefined;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const fresh = !existsSync(path);
      db = new Database(path, { timeout: 10_000 });
      if (fresh) chmodSync(path, 0o600);
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.exec(`CREATE TABLE IF NOT EXISTS networks (
        scope TEXT NOT NULL, name TEXT NOT NULL, driver TEXT NOT NULL, bridge TEXT NOT NULL,
        subnets TEXT NOT NULL, data_dir TEXT NOT NULL, updated_at TEXT NOT NULL,
        PRIMARY KEY (scope, name))`);
      return new SqliteRegistryStore(db, path);
    } catch (err) {
      db?.close();
      throw new Error(`cannot open the network registry "${path}": ${(err as Error).message}`, { cause: err });
    }
  }

  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn).immediate();
  }

  list(scope: string): RegistryEntry[] {
    const rows = this.#db.prepare("SELECT * FROM networks WHERE scope = ? ORDER BY name").all(scope) as Row[];
    return rows.map((r) => ({
      scope: r.scope,
      name: r.name,
      driver: r.driver,
      bridge: r.bridge,
      subnets: JSON.parse(r.subnets) as string[],
      dataDir: r.data_dir,
      updatedAt: r.updated_at,
    }));
  }

  put(e: RegistryEntry): void {
    this.#db
      .prepare("INSERT OR REPLACE INTO networks VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(e.scope, e.name, e.driver, e.bridge, JSON.stringify(e.subnets), e.dataDir, e.updatedAt);
  }

  remove(scope: string, name: string): boolean {
    return this.#db.prepare("DELETE FROM networks WHERE scope = ? AND name = ?").run(scope, name).changes > 0;
  }

  close(): void {
    this.#db.close();
  }
}

/** The same contract in memory (tests, and a dataplane over a fake kernel). */
export class MemoryRegistryStore implements RegistryStore {
  readonly path = "(memory)";
  readonly #rows = new Map<string, RegistryEntry>();

  transaction<T>(fn: () => T): T {
    const saved = new Map(this.#rows);
    try {
      return fn();
    } catch (err) {
      this.#rows.clear();
      for (const [k, v] of saved) this.#rows.set(k, v);
      throw err;
    }
  }

  list(scope: string): RegistryEntry[] {
    return [...this.#rows.values()].filter((e) => e.scope === scope).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  put(e: RegistryEntry): void {
    this.#rows.set(`${e.scope}\u0000${e.name}`, { ...e, subnets: [...e.subnets] });
  }

  remove(scope: string, name: string): boolean {
    return this.#rows.delete(`${scope}\u0000${name}`);
  }

  close(): void {}
}
