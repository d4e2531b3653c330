import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, it } from "node:test";
import { type KeepAliveClient, type KeepAliveCluster, LeaseKeeper } from "./lease-keeper.js";

type Behaviour = "ok" | "gone" | "error" | "silent";

/** A member whose keep-alive stream answers as told; counts the streams opened. */
function member(behaviour: () => Behaviour, opened: { n: number }): KeepAliveClient {
  return {
    leaseClient: {
      leaseKeepAlive: async () => {
        opened.n++;
        const s = new EventEmitter() as EventEmitter & { write(x: unknown): void; end(): void; cancel(): void };
        s.write = () => {
          const b = behaviour();
          setImmediate(() => {
            if (b === "ok") s.emit("data", { ID: "7", TTL: "10" });
            else if (b === "gone") s.emit("data", { ID: "7", TTL: "0" });
            else if (b === "error") s.emit("error", new Error("14 UNAVAILABLE: connection refused"));
          });
        };
        s.end = () => {};
        s.cancel = () => {};
        return s as never;
      },
    },
  };
}

function cluster(behaviours: (() => Behaviour)[]) {
  const opened = behaviours.map(() => ({ n: 0 }));
  const c: KeepAliveCluster = {
    keepAliveClients: behaviours.map((b, i) => member(b, opened[i] ?? { n: 0 })),
    endpoints: behaviours.map((_, i) => `http://m${i}:2379`),
    currentEndpoint: "http://m0:2379",
  };
  return { c, opened };
}

function events() {
  const log: string[] = [];
  return {
    log,
    handlers: {
      renewed: (ttl: number, endpoint: string) => log.push(`renewed ${ttl} via ${endpoint}`),
      gone: () => log.push("gone"),
      failed: (errors: string[]) => log.push(`failed ${errors.length}`),
    },
  };
}

describe("LeaseKeeper (our keep-alive loop)", () => {
  it("a silent member costs one attempt deadline, then the next member renews and stays first", async () => {
    const { c, opened } = cluster([() => "silent", () => "ok", () => "ok"]);
    const e = events();
    const k = new LeaseKeeper(c, "7", e.handlers, { intervalMs: 1000, attemptTimeoutMs: 50 });
    await k.round();
    await k.round();
    assert.deepEqual(e.log, ["renewed 10 via http://m1:2379", "renewed 10 via http://m1:2379"]);
    assert.deepEqual(
      opened.map((o) => o.n),
      [1, 2, 0],
      "the silent member is not retried first once another one worked",
    );
    assert.ok(k.lastRenewal > 0);
  });

  it("TTL 0 from a member means the lease is gone", async () => {
    const { c } = cluster([() => "gone", () => "ok"]);
    const e = events();
    await new LeaseKeeper(c, "7", e.handlers, { intervalMs: 1000 }).round();
    assert.deepEqual(e.log, ["gone"]);
  });

  it("every member failing is one failed round with every cause, and the next round starts elsewhere", async () => {
    let down = true;
    const { c, opened } = cluster([() => (down ? "error" : "ok"), () => (down ? "error" : "ok")]);
    const e = events();
    const k = new LeaseKeeper(c, "7", e.handlers, { intervalMs: 1000 });
    await k.round();
    down = false;
    await k.round();
    assert.deepEqual(e.log, ["failed 2", "renewed 10 via http://m1:2379"]);
    assert.deepEqual(
      opened.map((o) => o.n),
      [1, 2],
    );
  });
});
