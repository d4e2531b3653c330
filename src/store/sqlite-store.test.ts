import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { MIGRATIONS, type Migration, migrate, SCHEMA_VERSION } from "./schema.js";
import { DB_FILE_NAME, SqliteStore } from "./sqlite-store.js";
import { runStoreContract } from "./testing/contract-suite.js";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "qstore-"));
}

runStoreContract("SqliteStore", () => {
  const dir = tempDir();
  const store = SqliteStore.open(join(dir, "data"));
  return {
    store,
    dispose: () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe("SqliteStore.open()", () => {
  it("creates dataDir 0700 and a 0600 WAL database at the current schema version", () => {
    const dir = tempDir();
    try {
      const data = join(dir, "a", "b");
      const s = SqliteStore.open(data);
      s.close();
      assert.equal(statSync(data).mode & 0o777, 0o700);
      assert.equal(statSync(join(data, DB_FILE_NAME)).mode & 0o777, 0o600);
      const db = new Database(join(data, DB_FILE_NAME), { readonly: true });
      assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
      assert.equal(db.pragma("user_version", { simple: true }), SCHEMA_VERSION);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reopens an existing store with its data", () => {
    const dir = tempDir();
    try {
      const a = SqliteStore.open(dir);
      a.reserve({ network: "n", rangeId: "0", ip: "10.0.0.2", containerId: "c", ifname: "eth0" });
      a.close();
      const b = SqliteStore.open(dir);
      assert.equal(b.countReservations("n"), 1);
      b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("migrates a version-2 store: its attachments survive, without a pod; new ones keep theirs", () => {
    const dir = tempDir();
    try {
      const db = new Database(join(dir, DB_FILE_NAME));
      migrate(db, MIGRATIONS.slice(0, 2));
      db.prepare(
        `INSERT INTO attachments (network, container_id, ifname, netns, host_ifname, ips, result, created_at)
         VALUES ('n', 'old', 'eth0', '/x', NULL, '["10.0.0.2/24"]', '{}', '2025-01-01T00:00:00.000Z')`,
      ).run();
      db.close();
      const s = SqliteStore.open(dir);
      const old = s.getAttachment("n", "old", "eth0");
      assert.deepEqual(old?.ips, ["10.0.0.2/24"]);
      assert.equal(old && "pod" in old, false);
      const pod = { namespace: "default", name: "web", uid: "u1", infraContainerId: "new" };
      s.putAttachment({ network: "n", containerId: "new", ifname: "eth0", netns: "/y", ips: [], result: {}, pod });
      assert.deepEqual(s.getAttachment("n", "new", "eth0")?.pod, pod);
      s.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names the path when the database cannot be opened", () => {
    const dir = tempDir();
    try {
      const notADir = join(dir, "file");
      writeFileSync(notADir, "x");
      assert.throws(() => SqliteStore.open(notADir), new RegExp(`cannot open store "${notADir}/${DB_FILE_NAME}"`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Reported, not asserted: wall time on a shared machine says more about the neighbours than the code.
  it("is cheap: open + one transaction measured over 20 runs", (t) => {
    const dir = tempDir();
    try {
      SqliteStore.open(dir).close(); // first open creates the schema; later ones are the hot path
      const times: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t0 = process.hrtime.bigint();
        const s = SqliteStore.open(dir);
        s.transaction(() =>
          s.reserve({ network: "n", rangeId: "0", ip: `10.0.0.${i}`, containerId: `c${i}`, ifname: "eth0" }),
        );
        s.close();
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      times.sort((a, b) => a - b);
      const median = times[10]!;
      t.diagnostic(`open+tx+close median ${median.toFixed(2)} ms, max ${times[19]!.toFixed(2)} ms`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("SqliteStore transactions across connections", () => {
  it("a second connection cannot write while the first holds a transaction, and waits busyTimeoutMs", () => {
    const dir = tempDir();
    const a = SqliteStore.open(dir);
    const b = SqliteStore.open(dir, { busyTimeoutMs: 50 });
    try {
      a.transaction(() => {
        a.reserve({ network: "n", rangeId: "0", ip: "10.0.0.2", containerId: "a", ifname: "eth0" });
        const t0 = Date.now();
        assert.throws(() => b.transaction(() => b.countReservations("n")), /locked|busy/i);
        assert.ok(Date.now() - t0 >= 40, "the second writer should have waited for the busy timeout");
        // Readers are not blocked (WAL) and do not see uncommitted rows.
        assert.equal(b.countReservations("n"), 0);
      });
      assert.equal(b.countReservations("n"), 1);
    } finally {
      a.close();
      b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("migrate()", () => {
  const m = (version: number, sql: string): Migration => ({ version, description: sql, up: (db) => db.exec(sql) });

  it("applies pending migrations in order and records the version", () => {
    const db = new Database(":memory:");
    migrate(db, [m(1, "CREATE TABLE a (x)")]);
    migrate(db, [m(1, "CREATE TABLE a (x)"), m(2, "CREATE TABLE b (y)")]);
    assert.equal(db.pragma("user_version", { simple: true }), 2);
    assert.deepEqual(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map(
        (r) => r.name,
      ),
      ["a", "b"],
    );
    db.close();
  });

  it("refuses a database newer than the build and a misnumbered migration", () => {
    const db = new Database(":memory:");
    db.pragma("user_version = 5");
    assert.throws(() => migrate(db, [m(1, "SELECT 1")]), /schema version 5, newer than this build supports \(1\)/);
    const fresh = new Database(":memory:");
    assert.throws(() => migrate(fresh, [m(2, "SELECT 1")]), /declares version 2, expected 1/);
    assert.equal(fresh.pragma("user_version", { simple: true }), 0);
    db.close();
    fresh.close();
  });
});
