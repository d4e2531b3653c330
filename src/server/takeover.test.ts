import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { autostartedHolder, takeOverFromAutostarted } from "./takeover.js";

describe("autostartedHolder", () => {
  const dir = mkdtempSync(join(tmpdir(), "qtakeover-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const sock = join(dir, "q.sock");

  it("no lock file, or one that is not a pid line → none", () => {
    assert.equal(autostartedHolder(sock), undefined);
    writeFileSync(`${sock}.lock`, "not a pid\n");
    assert.equal(autostartedHolder(sock), undefined);
  });

  it("a live pid that is not an autostarted quantumd on this socket (this test runner) → none, never signalled", async () => {
    writeFileSync(`${sock}.lock`, `${process.pid} ready\n`);
    assert.equal(autostartedHolder(sock), undefined);
    let signalled = false;
    const onSignal = () => {
      signalled = true;
    };
    process.on("SIGUSR2", onSignal);
    try {
      assert.equal(await takeOverFromAutostarted(sock), undefined);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      process.off("SIGUSR2", onSignal);
    }
    assert.equal(signalled, false);
  });

  it("a pid that is gone → none", () => {
    writeFileSync(`${sock}.lock`, "4194303 ready\n");
    assert.equal(autostartedHolder(sock), undefined);
  });
});
