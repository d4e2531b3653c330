// ADD must not slow down as a network fills: round-robin claims the address after lastReserved with one
// insert, and a run of taken addresses is crossed with O(log run) indexed range counts. The bounds are
// asserted on store calls, which are deterministic; wall times are reported for the record.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { type AllocatorStore, SqliteStore } from "../store/index.js";
import { Allocator } from "./allocator.js";
import type { RangeSet } from "./ranges.js";

const SETS: RangeSet[] = [[{ subnet: "10.128.0.0/16" }], [{ subnet: "fd00:128::/64" }]];

/** The store, with every call counted. */
function counting(store: AllocatorStore): { store: AllocatorStore; calls: () => number; reset: () => void } {
  let n = 0;
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== "function" || prop === "transaction") return typeof v === "function" ? v.bind(target) : v;
      return (...args: unknown[]) => {
        n++;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls: () => n, reset: () => (n = 0) };
}

interface Sample {
  medianMs: number;
  maxCalls: number;
}

/** One dual-stack ADD, 30 times, with `existing` reservations; `rewind` forces a crossing of all of them. */
function measure(store: SqliteStore, network: string, existing: number, rewind: boolean): Sample {
  const counted = counting(store);
  const alloc = new Allocator(counted.store);
  store.transaction(() => {
    for (let i = 0; i < existing; i++)
      alloc.allocate({ network, containerId: `pre${i}`, ifname: "eth0", rangeSets: SETS });
  });
  const times: number[] = [];
  let maxCalls = 0;
  for (let i = 0; i < 30; i++) {
    if (rewind) {
      store.setLastReserved(network, "0", "10.128.0.0");
      store.setLastReserved(network, "1", "fd00:128::");
    }
    counted.reset();
    const t0 = process.hrtime.bigint();
    alloc.allocate({ network, containerId: `m${i}`, ifname: "eth0", rangeSets: SETS });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    maxCalls = Math.max(maxCalls, counted.calls());
    alloc.release(network, `m${i}`, "eth0");
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[times.length >> 1]!, maxCalls };
}

it("ADD cost does not grow with the number of reservations", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "qipam-perf-"));
  const store = SqliteStore.open(dir);
  try {
    measure(store, "warmup", 10, false);
    const small = measure(store, "n10", 10, false);
    const big = measure(store, "n1000", 1000, false);
    const smallScan = measure(store, "s10", 10, true);
    const bigScan = measure(store, "s1000", 1000, true);
    const fmt = (s: Sample) => `${s.medianMs.toFixed(3)} ms / ${s.maxCalls} store calls`;
    t.diagnostic(`dual-stack ADD, next address free: 10 reservations ${fmt(small)}; 1000 reservations ${fmt(big)}`);
    t.diagnostic(`dual-stack ADD crossing every taken address: 10 → ${fmt(smallScan)}; 1000 → ${fmt(bigScan)}`);
    // getById once, then per set: lastReserved, reserve, setLastReserved.
    assert.equal(small.maxCalls, 7);
    assert.equal(big.maxCalls, 7);
    // Crossing 1000 taken addresses: a failed insert plus ~2·log2(1000) counts per set, not 1000 probes.
    assert.ok(bigScan.maxCalls <= 2 * 60, `crossing 1000 reservations took ${bigScan.maxCalls} store calls`);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
