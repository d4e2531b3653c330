// The table `npm run bench` prints, with ratios and the targets, and the JSON it saves
// under bench/results/. Parts a run skipped (BENCH_QUICK, BENCH_RUNTIMES=0) print as "-".
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";

const f = (x) => (x === undefined || Number.isNaN(x) ? "-" : x.toFixed(2));
const ratio = (a, b) => (a === undefined || b === undefined ? undefined : a / b);

export function report({ root, results, iterations, concurrent }) {
  const d = results.daemon;
  const q = results.quantum;
  const r = results.reference;
  const b = results.before;
  const rows = [];
  for (const op of ["ADD", "CHECK", "DEL"]) {
    for (const p of ["p50", "p90"]) rows.push([`${op} ${p} (ms)`, d[op][p], q?.[op][p], r[op][p], b?.[op][p]]);
  }
  for (const k of ["concurrentAdd", "concurrentDel"]) {
    const label = `${concurrent} concurrent ${k === "concurrentAdd" ? "ADDs" : "DELs"} (ms total)`;
    rows.push([label, d[k].totalMs, q?.[k].totalMs, r[k].totalMs, b?.[k]?.totalMs]);
  }
  const load = loadavg().map((x) => x.toFixed(2));
  console.log(
    `\nquantum via shim → quantumd, quantum direct mode, reference bridge+host-local; ${iterations} iterations, fresh netns each; load average ${load.join(" ")}\n`,
  );
  console.log(
    `${"figure".padEnd(32)}${"daemon".padStart(9)}${"direct".padStart(9)}${"reference".padStart(11)}${"daemon/ref".padStart(12)}${"direct/ref".padStart(12)}${"before".padStart(9)}${"before/ref".padStart(12)}`,
  );
  for (const [label, a, bb, c, e] of rows) {
    console.log(
      `${label.padEnd(32)}${f(a).padStart(9)}${f(bb).padStart(9)}${f(c).padStart(11)}${f(ratio(a, c)).padStart(12)}${f(ratio(bb, c)).padStart(12)}${f(e).padStart(9)}${f(ratio(e, c)).padStart(12)}`,
    );
  }
  const scale = d.scale;
  const targets = [
    ["ADD p50 daemon/ref ≤ 0.4", d.ADD.p50 / r.ADD.p50, 0.4],
    ["DEL p50 daemon/ref ≤ 0.3", d.DEL.p50 / r.DEL.p50, 0.3],
    ["CHECK p50 daemon/ref ≤ 0.5", d.CHECK.p50 / r.CHECK.p50, 0.5],
    [`${concurrent} concurrent DELs daemon/ref ≤ 0.3`, d.concurrentDel.totalMs / r.concurrentDel.totalMs, 0.3],
    [`${concurrent} concurrent ADDs daemon/ref ≤ 0.3`, d.concurrentAdd.totalMs / r.concurrentAdd.totalMs, 0.3],
  ];
  if (scale) {
    targets.push(["ADD p99 @1000 / p99 @10 ≤ 1.5", scale.atLarge.p99 / scale.atSmall.p99, 1.5]);
    targets.push(["daemon RSS @1000 (MB) ≤ 120", scale.rssMbAt1000, 120]);
    console.log(
      `\ndaemon ADD at ${scale.small} attachments: p50 ${f(scale.atSmall.p50)} p99 ${f(scale.atSmall.p99)} ms; at ${scale.large}: p50 ${f(scale.atLarge.p50)} p99 ${f(scale.atLarge.p99)} ms (${scale.samples} samples each)`,
    );
  }
  if (q) targets.push(["direct ADD p50/ref ≤ 4", q.ADD.p50 / r.ADD.p50, 4]);
  if (d.concurrentDel.linkDeletionBatches) {
    const lb = d.concurrentDel.linkDeletionBatches;
    console.log(`daemon link deletions so far: ${lb.links} links in ${lb.batches} batches`);
  }
  const dv = results.daemonDeferRelease?.DEL;
  if (dv) {
    console.log(
      `daemon --defer-release DEL: p50 ${f(dv.p50)} p90 ${f(dv.p90)} ms (ratio to reference p50 ${f(dv.p50 / r.DEL.p50)})`,
    );
  }
  if (d.concurrentAdd.eventLoopDelayMs) {
    console.log(
      `daemon event-loop delay during the concurrent ADDs (ms): ${JSON.stringify(d.concurrentAdd.eventLoopDelayMs)}`,
    );
  }
  if (results.runtimes) targets.push(...runtimeTable(results.runtimes));
  console.log("\ntargets");
  for (const [label, value, limit] of targets) {
    const met = value === undefined ? "not measured" : value <= limit ? "met" : "NOT met";
    console.log(`  ${label.padEnd(44)}${f(value).padStart(8)}  ${met}`);
  }
  const file = join(root, "bench/results", `bench-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        iterations,
        loadavg: loadavg(),
        results,
        ratios: {
          daemon: Object.fromEntries(rows.map(([l, a, , c]) => [l, ratio(a, c)])),
          direct: Object.fromEntries(rows.map(([l, , bb, c]) => [l, ratio(bb, c)])),
          before: Object.fromEntries(rows.map(([l, , , c, e]) => [l, ratio(e, c)])),
        },
        targets: targets.map(([label, value, limit]) => ({
          label,
          value,
          limit,
          met: value !== undefined && value <= limit,
        })),
      },
      null,
      2,
    ),
  );
  console.log(`\nsaved ${file}`);
}

/** podman and containerd figures: network cost (median minus --network none) per subject, and ratios. */
function runtimeTable(rt) {
  const targets = [];
  if (rt.skipped) {
    console.log(`\nruntimes: skipped (${rt.skipped})`);
    return targets;
  }
  if (rt.podman) {
    const p = rt.podman;
    console.log(`\npodman (${p.iterations} runs each; network cost = median minus --network none's median, ms)`);
    console.log(
      `${"subject".padEnd(34)}${"run -d".padStart(9)}${"rm -f".padStart(9)}${"run+rm".padStart(9)}${"/netavark".padStart(11)}`,
    );
    const nv = p.cost.netavark;
    for (const [name, c] of Object.entries(p.cost)) {
      const both = c.run + c.rm;
      console.log(
        `${name.padEnd(34)}${f(c.run).padStart(9)}${f(c.rm).padStart(9)}${f(both).padStart(9)}${f(nv ? both / (nv.run + nv.rm) : undefined).padStart(11)}`,
      );
    }
    console.log(
      `${"--network none (absolute medians)".padEnd(34)}${f(p.none.run).padStart(9)}${f(p.none.rm).padStart(9)}`,
    );
    if (nv && p.cost.quantum) {
      targets.push([
        "podman run+rm quantum/netavark ≤ 0.5",
        (p.cost.quantum.run + p.cost.quantum.rm) / (nv.run + nv.rm),
        0.5,
      ]);
    }
  }
  if (rt.containerd) {
    const c = rt.containerd;
    console.log(`\ncontainerd: ${c.method}; ${c.iterations} runs each; without --cni ${f(c.noneMedianMs)} ms (median)`);
    console.log(`${"subject".padEnd(34)}${"median".padStart(9)}${"network".padStart(9)}${"/ref".padStart(9)}`);
    const ref = c.subjects.reference;
    for (const [name, v] of Object.entries(c.subjects)) {
      console.log(
        `${name.padEnd(34)}${f(v.medianMs).padStart(9)}${f(v.start).padStart(9)}${f(ref ? v.start / ref.start : undefined).padStart(9)}`,
      );
    }
    if (c.subjects.quantum && ref) {
      targets.push(["ctr run --cni network quantum/ref ≤ 1", c.subjects.quantum.start / ref.start, 1]);
    }
  }
  for (const note of [...(rt.podman?.notes ?? []), ...(rt.containerd?.notes ?? [])]) console.log(`note: ${note}`);
  if (rt.podmanError) console.log(`podman figures failed: ${rt.podmanError.split("\n")[0]}`);
  if (rt.containerdError) console.log(`containerd figures failed: ${rt.containerdError.split("\n")[0]}`);
  return targets;
}
