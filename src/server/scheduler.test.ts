import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { QueueFullError, Scheduler, SchedulerClosedError } from "./scheduler.js";

/** A task the test finishes by hand; records start order. */
function gate(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((r) => {
    release = r;
  });
  const task = () => {
    log.push(`start ${name}`);
    return done.then(() => {
      log.push(`end ${name}`);
      return name;
    });
  };
  return { task, release };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("Scheduler", () => {
  it("runs operations of one key one at a time, in arrival order", async () => {
    const s = new Scheduler({ concurrency: 4, queueLimit: 10 });
    const log: string[] = [];
    const a = gate(log, "a1");
    const b = gate(log, "a2");
    const pa = s.run({ key: "a" }, a.task);
    const pb = s.run({ key: "a" }, b.task);
    await tick();
    assert.deepEqual(log, ["start a1"]);
    a.release();
    assert.equal(await pa, "a1");
    await tick();
    assert.deepEqual(log, ["start a1", "end a1", "start a2"]);
    b.release();
    assert.equal(await pb, "a2");
  });

  it("runs different keys concurrently up to the bound", async () => {
    const s = new Scheduler({ concurrency: 2, queueLimit: 10 });
    const log: string[] = [];
    const g = ["x", "y", "z"].map((k) => gate(log, k));
    const ps = g.map((x, i) => s.run({ key: `k${i}` }, x.task));
    await tick();
    assert.deepEqual(log, ["start x", "start y"]);
    assert.deepEqual(s.stats, { running: 2, waiting: 1, released: 0, exclusiveRunning: false });
    g[1]!.release();
    await tick();
    assert.deepEqual(log, ["start x", "start y", "end y", "start z"]);
    g[0]!.release();
    g[2]!.release();
    assert.deepEqual(await Promise.all(ps), ["x", "y", "z"]);
  });

  it("a waiting key does not block other keys behind it", async () => {
    const s = new Scheduler({ concurrency: 2, queueLimit: 10 });
    const log: string[] = [];
    const a1 = gate(log, "a1");
    const a2 = gate(log, "a2");
    const b = gate(log, "b");
    const ps = [s.run({ key: "a" }, a1.task), s.run({ key: "a" }, a2.task), s.run({ key: "b" }, b.task)];
    await tick();
    assert.deepEqual(log, ["start a1", "start b"]);
    a1.release();
    b.release();
    a2.release();
    await Promise.all(ps);
  });

  it("past the queue limit, new operations are refused with QueueFullError", async () => {
    const s = new Scheduler({ concurrency: 1, queueLimit: 1 });
    const log: string[] = [];
    const a = gate(log, "a");
    const b = gate(log, "b");
    const pa = s.run({ key: "a" }, a.task);
    const pb = s.run({ key: "b" }, b.task);
    await assert.rejects(
      s.run({ key: "c" }, () => Promise.resolve("c")),
      QueueFullError,
    );
    a.release();
    b.release();
    assert.deepEqual(await Promise.all([pa, pb]), ["a", "b"]);
    // Room again once the queue drained.
    assert.equal(await s.run({ key: "c" }, () => Promise.resolve("c")), "c");
  });

  it("queueLimit 0: only what can start at once is accepted", async () => {
    const s = new Scheduler({ concurrency: 1, queueLimit: 0 });
    const log: string[] = [];
    const a = gate(log, "a");
    const pa = s.run({}, a.task);
    await assert.rejects(
      s.run({}, () => Promise.resolve(1)),
      QueueFullError,
    );
    a.release();
    await pa;
  });

  it("an exclusive operation waits for everything in flight and holds back later ones", async () => {
    const s = new Scheduler({ concurrency: 4, queueLimit: 10 });
    const log: string[] = [];
    const add = gate(log, "add");
    const gc = gate(log, "gc");
    const del = gate(log, "del");
    const ps = [s.run({ key: "a" }, add.task), s.run({ exclusive: true }, gc.task), s.run({ key: "b" }, del.task)];
    await tick();
    assert.deepEqual(log, ["start add"]);
    add.release();
    await tick();
    await tick();
    assert.deepEqual(log, ["start add", "end add", "start gc"]);
    del.release();
    await tick();
    assert.deepEqual(log, ["start add", "end add", "start gc"], "DEL waits for GC");
    gc.release();
    await Promise.all(ps);
    assert.deepEqual(log.slice(-3), ["end gc", "start del", "end del"]);
  });

  it("holds the key until `finished`, even when the answer came earlier", async () => {
    const s = new Scheduler({ concurrency: 2, queueLimit: 10 });
    const log: string[] = [];
    let finish!: () => void;
    const finished = new Promise<void>((r) => {
      finish = r;
    });
    const first = s.run({ key: "a" }, () => ({ answer: Promise.resolve("answered"), finished }));
    const second = s.run({ key: "a" }, () => {
      log.push("second started");
      return Promise.resolve("second");
    });
    assert.equal(await first, "answered");
    await tick();
    assert.deepEqual(log, [], "the second operation on the key waits for the first to finish");
    finish();
    assert.equal(await second, "second");
  });

  it("gives up the running slot at `released` but holds the key, and exclusive work, until `finished`", async () => {
    const s = new Scheduler({ concurrency: 1, queueLimit: 10 });
    const log: string[] = [];
    let release!: () => void;
    let finish!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    const finished = new Promise<void>((r) => {
      finish = r;
    });
    const del = s.run({ key: "a" }, () => ({ answer: Promise.resolve("del"), released, finished }));
    const sameKey = s.run({ key: "a" }, () => {
      log.push("add a");
      return Promise.resolve("add a");
    });
    const gc = s.run({ exclusive: true }, () => {
      log.push("gc");
      return Promise.resolve("gc");
    });
    assert.equal(await del, "del");
    await tick();
    assert.deepEqual(s.stats.running, 1, "answered but not released: the slot is still taken");
    release();
    await tick();
    assert.deepEqual(s.stats.running, 0, "released: the slot is free");
    assert.equal(s.stats.released, 1, "and the operation is still unfinished");
    assert.deepEqual(log, [], "the same key waits for finished; the exclusive GC waits too");
    finish();
    assert.equal(await sameKey, "add a");
    assert.equal(await gc, "gc");
    assert.deepEqual(log, ["add a", "gc"]);
  });

  it("a released slot serves other keys while the first operation is unfinished", async () => {
    const s = new Scheduler({ concurrency: 1, queueLimit: 10 });
    let finish!: () => void;
    const finished = new Promise<void>((r) => {
      finish = r;
    });
    const first = s.run({ key: "a" }, () => ({ answer: Promise.resolve(1), released: Promise.resolve(), finished }));
    const other = s.run({ key: "b" }, () => Promise.resolve(2));
    assert.equal(await first, 1);
    assert.equal(await other, 2, "ran although a's work is not finished");
    let drained = false;
    const d = s.drain().then(() => {
      drained = true;
    });
    await tick();
    assert.equal(drained, false, "drain waits for unfinished work");
    finish();
    await d;
  });

  it("a task that throws or rejects frees its slot", async () => {
    const s = new Scheduler({ concurrency: 1, queueLimit: 5 });
    await assert.rejects(
      s.run({ key: "a" }, () => {
        throw new Error("boom");
      }),
      /boom/,
    );
    await assert.rejects(
      s.run({ key: "a" }, () => Promise.reject(new Error("later"))),
      /later/,
    );
    assert.equal(await s.run({ key: "a" }, () => Promise.resolve(3)), 3);
    assert.deepEqual(s.stats, { running: 0, waiting: 0, released: 0, exclusiveRunning: false });
  });

  it("close() refuses new operations; drain() waits for admitted ones", async () => {
    const s = new Scheduler({ concurrency: 1, queueLimit: 5 });
    const log: string[] = [];
    const a = gate(log, "a");
    const b = gate(log, "b");
    const ps = [s.run({}, a.task), s.run({}, b.task)];
    s.close();
    await assert.rejects(
      s.run({}, () => Promise.resolve(0)),
      SchedulerClosedError,
    );
    let drained = false;
    const d = s.drain().then(() => {
      drained = true;
    });
    a.release();
    await tick();
    assert.equal(drained, false);
    b.release();
    await d;
    assert.deepEqual(await Promise.all(ps), ["a", "b"]);
  });

  it("rejects nonsense bounds", () => {
    assert.throws(() => new Scheduler({ concurrency: 0, queueLimit: 1 }), RangeError);
    assert.throws(() => new Scheduler({ concurrency: 1, queueLimit: -1 }), RangeError);
  });
});
