// ADD must not slow down as a network fills: round-robin steps from lastReserved and probes
// candidates with indexed batch queries, so cost follows the run of taken addresses it crosses, not
// the pool size. Measured on the real SQLite store, where per-query cost matters.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { SqliteStore } from "../store/index.js";
import { Allocator } from "./allocator.js";
import type { RangeSet } from "./ranges.js";

const SETS: RangeSet[] = [[{ subnet: "10.128.0.0/16" }], [{ subnet: "fd00:128::/64" }]];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median ms of one dual-stack ADD with `existing` reservations in place; `rewind` forces a scan over all of them. */
function measure(store: SqliteStore, network: string, existing: number, rewind: boolean): number {
  const alloc = new Allocator(store);
  store.transaction(() => {
    for (let i = 0; i < existing; i++)
      alloc.allocate({ network, containerId: `pre${i}`, ifname: "eth0", rangeSets: SETS });
  });
  const times: number[] = [];
  for (let i = 0; i < 40; i++) {
    if (rewind) {
      store.setLastReserved(network, "0", "10.128.0.0");
      store.setLastReserved(network, "1", "fd00:128::");
    }
    const t0 = process.hrtime.bigint();
    alloc.allocate({ network, containerId: `m${i}`, ifname: "eth0", rangeSets: SETS });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    alloc.release(network, `m${i}`, "eth0");
  }
  return median(times);
}

it("allocation time at 1000 reservations stays close to that at 10", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "qipam-perf-"));
  const store = SqliteStore.open(dir);
  try {
    measure(store, "warmup", 10, false);
    const small = measure(store, "n10", 10, false);
    const big = measure(store, "n1000", 1000, false);
    const smallScan = measure(store, "s10", 10, true);
    const bigScan = measure(store, "s1000", 1000, true);
    t.diagnostic(
      `dual-stack ADD median: 10 reservations ${small.toFixed(3)} ms, 1000 reservations ${big.toFixed(3)} ms`,
    );
    t.diagnostic(
      `worst case (scan across every taken address): 10 → ${smallScan.toFixed(3)} ms, 1000 → ${bigScan.toFixed(3)} ms`,
    );
    // Generous bounds: this guards against O(pool) regressions, not against a noisy machine.
    assert.ok(big < Math.max(small * 4, 2), `ADD at 1000 reservations took ${big} ms vs ${small} ms at 10`);
    assert.ok(bigScan < 25, `a scan across 1000 taken addresses took ${bigScan} ms`);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
