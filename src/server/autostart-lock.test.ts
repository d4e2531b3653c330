import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { describeAutostartedHolder, markLockReady } from "./autostart-lock.js";

describe("markLockReady", () => {
  const dir = mkdtempSync(join(tmpdir(), "qlock-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces "<pid> starting" with "<pid> ready"', () => {
    const path = join(dir, "q.sock.lock");
    writeFileSync(path, "123456789 starting\n");
    const fd = openSync(path, "r+");
    try {
      markLockReady(fd, 77);
    } finally {
      closeSync(fd);
    }
    assert.equal(readFileSync(path, "utf8"), "77 ready\n");
  });

  it("a wrong --lock-fd (a directory, a closed fd) is an error naming the fd", () => {
    const fd = openSync(dir, "r");
    try {
      assert.throws(
        () => markLockReady(fd),
        new RegExp(`--lock-fd ${fd}: cannot mark the lock file ready: not a regular file`),
      );
    } finally {
      closeSync(fd);
    }
    assert.throws(() => markLockReady(987654), /--lock-fd 987654: cannot mark the lock file ready/);
  });

  it("describes an autostarted holder of the socket, and nothing else", () => {
    const sock = join(dir, "held.sock");
    assert.equal(describeAutostartedHolder(sock), "", "no lock file");
    writeFileSync(`${sock}.lock`, "4242 ready\n");
    assert.match(describeAutostartedHolder(sock), /quantumd pid 4242, started on demand by the shim.*`kill 4242`/);
    writeFileSync(`${sock}.lock`, "garbage");
    assert.equal(describeAutostartedHolder(sock), "");
  });
});
