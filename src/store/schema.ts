// SQLite schema and its migrations. The schema version lives in PRAGMA user_version (a header field,
// so reading it costs no table lookup); open() compares it first and only takes the write lock when a
// migration is actually due, which keeps the per-exec open path cheap.
import type { Database } from "better-sqlite3";

export interface Migration {
  /** The user_version after this migration ran. Migrations are applied in order, 1, 2, … */
  version: number;
  description: string;
  up(db: Database): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "reservations, last reserved, attachments, networks, pending link deletions",
    up(db) {
      db.exec(`
        CREATE TABLE IF NOT EXISTS reservations (
          network TEXT NOT NULL,
          ip TEXT NOT NULL,
          ip_key BLOB NOT NULL,
          range_id TEXT NOT NULL,
          container_id TEXT NOT NULL,
          ifname TEXT NOT NULL,
          prefix_length INTEGER,
          gateway TEXT,
          PRIMARY KEY (network, ip)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS reservations_by_owner ON reservations (network, container_id, ifname);
        CREATE INDEX IF NOT EXISTS reservations_by_range ON reservations (network, range_id);
        CREATE INDEX IF NOT EXISTS reservations_by_key ON reservations (network, ip_key);
        CREATE TABLE IF NOT EXISTS last_reserved (
          network TEXT NOT NULL,
          range_id TEXT NOT NULL,
          ip TEXT NOT NULL,
          PRIMARY KEY (network, range_id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS attachments (
          network TEXT NOT NULL,
          container_id TEXT NOT NULL,
          ifname TEXT NOT NULL,
          netns TEXT NOT NULL,
          host_ifname TEXT,
          ips TEXT NOT NULL,
          result TEXT NOT NULL,
          created_at TEXT NOT NULL,
          PRIMARY KEY (network, container_id, ifname)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS networks (
          name TEXT PRIMARY KEY NOT NULL,
          spec TEXT NOT NULL,
          created_at TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS pending_link_deletions (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          netns TEXT NOT NULL,
          ifname TEXT NOT NULL,
          host_ifname TEXT,
          network TEXT NOT NULL,
          container_id TEXT NOT NULL,
          created_at TEXT NOT NULL
        );
      `);
    },
  },
  {
    version: 2,
    description: "meta: small cross-process facts (firewall markers)",
    up(db) {
      db.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;");
    },
  },
  {
    version: 3,
    description: "attachments: the Kubernetes pod (namespace, name, uid, infra container id) from CNI_ARGS",
    up(db) {
      // Nullable: attachments made before, and by runtimes that send no K8S_ args, have none.
      db.exec(`
        ALTER TABLE attachments ADD COLUMN pod_namespace TEXT;
        ALTER TABLE attachments ADD COLUMN pod_name TEXT;
        ALTER TABLE attachments ADD COLUMN pod_uid TEXT;
        ALTER TABLE attachments ADD COLUMN pod_infra_container_id TEXT;
      `);
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

function userVersion(db: Database): number {
  return db.pragma("user_version", { simple: true }) as number;
}

/**
 * Brings db up to the last migration's version. Safe when several processes open a fresh file at once:
 * the version is re-read under the write lock, so each migration runs exactly once.
 * @throws Error when the file was written by a newer build (its version is above what we know).
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): void {
  const target = migrations.length;
  const seen = userVersion(db);
  if (seen === target) return;
  if (seen > target) {
    throw new Error(`store "${db.name}" has schema version ${seen}, newer than this build supports (${target})`);
  }
  db.transaction(() => {
    for (let v = userVersion(db); v < target; v++) {
      const m = migrations[v]!;
      if (m.version !== v + 1) {
        throw new Error(`migration at position ${v} declares version ${m.version}, expected ${v + 1}`);
      }
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }
  }).immediate();
}
