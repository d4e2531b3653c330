// Many plugin processes on one SQLite store at once: BEGIN IMMEDIATE + busy_timeout must serialise
// them so every container gets distinct addresses and nobody fails, including the first opens that
// race to create the schema.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";
import { SqliteStore } from "../../src/store/index.js";
import { type ProcessRun, runProcess } from "../helpers/process.js";

const WORKER = fileURLToPath(new URL("./fixtures/alloc_worker.js", import.meta.url));
const N = 50;

function run(args: string[]): Promise<ProcessRun> {
  return runProcess(process.execPath, [WORKER, ...args]);
}

interface WorkerResult {
  out: string[];
  storeMs: number;
}

async function all(dataDir: string, mode: "alloc" | "release"): Promise<WorkerResult[]> {
  const outcomes = await Promise.all(Array.from({ length: N }, (_, i) => run([dataDir, mode, `ctr${i}`])));
  const failed = outcomes.filter((o) => o.code !== 0);
  assert.equal(failed.length, 0, `${failed.length} ${mode} processes failed:\n${failed.map((o) => o.stderr).join("")}`);
  return outcomes.map((o) => JSON.parse(o.stdout) as WorkerResult);
}

it(`${N} concurrent processes allocate distinct addresses, then release them all`, { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "qstore-concurrent-"));
  try {
    const dataDir = join(dir, "data"); // created by the racing workers themselves
    const t0 = Date.now();
    const results = await all(dataDir, "alloc");
    const storeMs = results.map((r) => r.storeMs).sort((a, b) => a - b);
    t.diagnostic(
      `${N} concurrent ADD processes finished in ${Date.now() - t0} ms; ` +
        `time in the store per process: median ${storeMs[N >> 1]!.toFixed(1)} ms, max ${storeMs[N - 1]!.toFixed(1)} ms`,
    );
    const got = results.map((r) => r.out);
    const v4 = got.map((ips) => ips[0]!);
    const v6 = got.map((ips) => ips[1]!);
    assert.equal(new Set(v4).size, N, `duplicate IPv4 addresses: ${v4.join(" ")}`);
    assert.equal(new Set(v6).size, N, `duplicate IPv6 addresses: ${v6.join(" ")}`);

    const store = SqliteStore.open(dataDir);
    try {
      assert.equal(store.countReservations("concurrent"), 2 * N);
      const released = await all(dataDir, "release");
      assert.deepEqual(
        released.map((r) => r.out.length),
        Array(N).fill(2),
      );
      assert.equal(store.countReservations("concurrent"), 0);
    } finally {
      store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
