// Issue 10, findings 3 and 6 at the store: a file with overwritten pages is refused at open as
// StoreDamagedError naming it (and reported by health()); SQLite's codes are classified (corrupt →
// damaged, full → full); checkpoint() truncates the write-ahead log to zero bytes.
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import Database from "better-sqlite3";
import { classifyStoreError, StoreDamagedError, StoreFullError } from "./errors.js";
import { SqliteStore } from "./sqlite-store.js";

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "qstore-health-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fill(store: SqliteStore, n: number): void {
  store.transaction(() => {
    for (let i = 0; i < n; i++) {
      const ip = `10.0.${i >> 8}.${i & 255}`;
      store.reserve({ network: "n", rangeId: "0", ip, containerId: `c${i}`, ifname: "eth0" });
      store.putAttachment({ network: "n", containerId: `c${i}`, ifname: "eth0", netns: "/x", ips: [ip], result: {} });
    }
  });
}

describe("store health", () => {
  test("overwritten pages: open refuses with StoreDamagedError naming the file", () =>
    withDir((dir) => {
      const store = SqliteStore.open(dir);
      fill(store, 300);
      assert.deepEqual(store.health(), []);
      store.checkpoint();
      store.close();
      const path = join(dir, "quantum.db");
      const size = statSync(path).size;
      const fd = openSync(path, "r+");
      writeSync(fd, Buffer.alloc(size - 8192, 0x5a), 0, size - 8192, 8192);
      closeSync(fd);
      assert.throws(
        () => SqliteStore.open(dir),
        (e: unknown) => e instanceof StoreDamagedError && e.path === path && /store recover/.test(e.message),
      );
    }));

  test("SQLite's codes are classified; anything else passes through", () => {
    const corrupt = Object.assign(new Error("database disk image is malformed"), { code: "SQLITE_CORRUPT" });
    const full = Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
    const busy = Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" });
    assert.ok(classifyStoreError(corrupt, "/d/quantum.db") instanceof StoreDamagedError);
    assert.ok(
      classifyStoreError(Object.assign(new Error("x"), { code: "SQLITE_CORRUPT_INDEX" }), "/p") instanceof
        StoreDamagedError,
    );
    const f = classifyStoreError(full, "/d/quantum.db");
    assert.ok(f instanceof StoreFullError);
    assert.match((f as Error).message, /disk holding the data dir \/d is full/);
    assert.equal((f as Error).cause, full);
    assert.equal(classifyStoreError(busy, "/p"), busy);
  });

  test("checkpoint() truncates the write-ahead log to zero bytes", () =>
    withDir((dir) => {
      const store = SqliteStore.open(dir);
      fill(store, 500);
      const wal = join(dir, "quantum.db-wal");
      assert.ok(statSync(wal).size > 0);
      assert.equal(store.checkpoint(), true);
      assert.equal(statSync(wal).size, 0);
      const other = new Database(join(dir, "quantum.db"), { readonly: true });
      assert.equal((other.prepare("SELECT count(*) AS n FROM attachments").get() as { n: number }).n, 500);
      other.close();
      store.close();
    }));
});
