import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IdleExit } from "./idle-exit.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("IdleExit", () => {
  it("fires once when nothing was connected or busy for idleMs", async () => {
    let fired = 0;
    const idle = new IdleExit({ idleMs: 20, busy: () => false, onIdle: () => fired++ });
    idle.start();
    await sleep(120);
    assert.equal(fired, 1);
  });

  it("never fires while a connection is open; the clock restarts when the last one closes", async () => {
    let fired = 0;
    const idle = new IdleExit({ idleMs: 20, busy: () => false, onIdle: () => fired++ });
    idle.start();
    idle.connectionOpened();
    idle.connectionOpened();
    idle.connectionClosed();
    await sleep(100);
    assert.equal(fired, 0, "one connection still open");
    idle.connectionClosed();
    await sleep(100);
    assert.equal(fired, 1);
  });

  it("waits while operations run or wait (work after the answer), then fires", async () => {
    let fired = 0;
    let busy = true;
    const idle = new IdleExit({ idleMs: 15, busy: () => busy, onIdle: () => fired++ });
    idle.start();
    await sleep(80);
    assert.equal(fired, 0, "busy");
    busy = false;
    await sleep(80);
    assert.equal(fired, 1);
  });

  it("stop() prevents it for good", async () => {
    let fired = 0;
    const idle = new IdleExit({ idleMs: 15, busy: () => false, onIdle: () => fired++ });
    idle.start();
    idle.stop();
    idle.connectionOpened();
    idle.connectionClosed();
    await sleep(80);
    assert.equal(fired, 0);
  });

  for (const idleMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    it(`refuses idleMs ${idleMs}`, () => {
      assert.throws(
        () => new IdleExit({ idleMs, busy: () => false, onIdle: () => undefined }),
        (e: Error) => e instanceof RangeError && e.message.includes(`got ${idleMs}`),
      );
    });
  }
});
