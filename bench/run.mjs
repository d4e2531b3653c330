// npm run bench: quantum through the shim → quantumd (daemon mode), quantum direct mode, and the
// reference bridge + host-local, same harness, same run.
// Runs itself inside a private "host" netns; each iteration gets a fresh container netns.
// Prints a table with ratios quantum/reference and saves JSON under bench/results/.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { delVariant, scaleFigures, startDaemon } from "./daemon.mjs";

const root = new URL("..", import.meta.url).pathname;
const iterations = Number(process.env.BENCH_ITERATIONS ?? 40);
const concurrent = Number(process.env.BENCH_CONCURRENT ?? 50);
const refDir = process.env.CNI_REFERENCE_DIR ?? "/usr/lib/cni";

if (process.argv[2] !== "--inner") {
  // Outer: make the private host netns, re-exec inside it, always clean up.
  const id = Math.random().toString(16).slice(2, 8);
  const hostNs = `qbench-${id}-host`;
  execFileSync("ip", ["netns", "add", hostNs]);
  try {
    // The bench's networks are registered host-wide: in a registry of its own, never the machine's.
    const registry = mkdtempSync(join(tmpdir(), "qbench-reg-"));
    const env = { ...process.env, BENCH_ID: id, QUANTUM_REGISTRY_DIR: registry };
    delete env.NODE_EXTRA_CA_CERTS; // runtimes don't set it; it adds 35-60 ms per Node start
    const res = spawnSync(
      "nsenter",
      [`--net=/run/netns/${hostNs}`, process.execPath, import.meta.filename, "--inner"],
      {
        stdio: "inherit",
        env,
      },
    );
    process.exitCode = res.status ?? 1;
    rmSync(registry, { recursive: true, force: true });
  } finally {
    for (const ns of execFileSync("ip", ["netns", "list"], { encoding: "utf8" }).split("\n")) {
      const name = ns.split(" ")[0];
      if (name?.startsWith(`qbench-${process.env.BENCH_ID ?? id}`)) spawnSync("ip", ["netns", "del", name]);
    }
  }
} else {
  await inner();
}

function run(bin, env, stdin) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(bin, [], { env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (b) => (out += b));
    child.stderr.on("data", (b) => (err += b));
    child.on("close", (code) => {
      const ms = performance.now() - t0;
      if (code !== 0) reject(new Error(`${bin} ${env.CNI_COMMAND} exit ${code}: ${out} ${err}`));
      else resolve({ ms, out });
    });
    child.stdin.end(stdin);
  });
}

function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function inner() {
  const id = process.env.BENCH_ID;
  const data = mkdtempSync(join(tmpdir(), "qbench-"));
  const nsPath = (n) => `/run/netns/qbench-${id}-${n}`;
  const baseEnv = {
    PATH: process.env.PATH,
    QUANTUM_REGISTRY_DIR: process.env.QUANTUM_REGISTRY_DIR,
    CNI_IFNAME: "eth0",
  };
  const daemon = await startDaemon({ root, socket: join(data, "quantumd.sock"), dataDir: join(data, "d") });
  try {
    await benchAll({ id, data, nsPath, baseEnv, daemon });
  } finally {
    await daemon.stop();
    rmSync(data, { recursive: true, force: true });
  }
}

async function benchAll({ id, data, nsPath, baseEnv, daemon }) {
  const subjects = {
    // The shim (bin/quantum) → quantumd.
    daemon: {
      bin: join(root, "bin/quantum"),
      path: `${join(root, "bin")}:${refDir}`,
      env: { QUANTUM_SOCKET: join(data, "quantumd.sock") },
      conf: (v) => ({
        cniVersion: v,
        name: "qdbench",
        type: "quantum",
        driver: "bridge",
        bridge: "qbd0",
        subnet: "10.202.0.0/16",
        dataDir: join(data, "d"),
      }),
    },
    quantum: {
      bin: join(root, "bin/quantum-direct"),
      path: `${join(root, "bin")}:${refDir}`,
      conf: (v) => ({
        cniVersion: v,
        name: "qbench",
        type: "quantum",
        driver: "bridge",
        bridge: "qbq0",
        subnet: "10.200.0.0/16",
        dataDir: join(data, "q"),
      }),
    },
    reference: {
      bin: join(refDir, "bridge"),
      path: refDir,
      conf: (v) => ({
        cniVersion: v,
        name: "rbench",
        type: "bridge",
        bridge: "qbr0",
        isGateway: true,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: "10.201.0.0/16" }]],
          routes: [{ dst: "0.0.0.0/0" }],
          dataDir: join(data, "r"),
        },
      }),
    },
  };
  const results = {};
  let n = 0;
  for (const [name, s] of Object.entries(subjects)) {
    const times = { ADD: [], CHECK: [], DEL: [] };
    for (let i = 0; i < iterations; i++) {
      const ns = `c${n++}`;
      execFileSync("ip", ["netns", "add", `qbench-${id}-${ns}`]);
      const env = { ...baseEnv, ...s.env, CNI_PATH: s.path, CNI_CONTAINERID: `bench-${ns}`, CNI_NETNS: nsPath(ns) };
      const conf = s.conf("1.0.0");
      const add = await run(s.bin, { ...env, CNI_COMMAND: "ADD" }, JSON.stringify(conf));
      const check = await run(
        s.bin,
        { ...env, CNI_COMMAND: "CHECK" },
        JSON.stringify({ ...conf, prevResult: JSON.parse(add.out) }),
      );
      const del = await run(
        s.bin,
        { ...env, CNI_COMMAND: "DEL" },
        JSON.stringify({ ...conf, prevResult: JSON.parse(add.out) }),
      );
      times.ADD.push(add.ms);
      times.CHECK.push(check.ms);
      times.DEL.push(del.ms);
      execFileSync("ip", ["netns", "del", `qbench-${id}-${ns}`]);
    }
    // 50 concurrent ADDs, then DELs (not timed)
    const names = [];
    for (let i = 0; i < concurrent; i++) {
      const ns = `p${n++}`;
      names.push(ns);
      execFileSync("ip", ["netns", "add", `qbench-${id}-${ns}`]);
    }
    const conf = JSON.stringify(s.conf("1.0.0"));
    const envOf = (ns, cmd) => ({
      ...baseEnv,
      ...s.env,
      CNI_PATH: s.path,
      CNI_CONTAINERID: `bench-${ns}`,
      CNI_NETNS: nsPath(ns),
      CNI_COMMAND: cmd,
    });
    if (name === "daemon") await daemon.status(true);
    const t0 = performance.now();
    await Promise.all(names.map((ns) => run(s.bin, envOf(ns, "ADD"), conf)));
    const burst = performance.now() - t0;
    const loopDelay = name === "daemon" ? (await daemon.status()).eventLoopDelayMs : undefined;
    await Promise.all(names.map((ns) => run(s.bin, envOf(ns, "DEL"), conf)));
    for (const ns of names) spawnSync("ip", ["netns", "del", `qbench-${id}-${ns}`]);
    results[name] = {
      ADD: { p50: pct(times.ADD, 50), p90: pct(times.ADD, 90) },
      CHECK: { p50: pct(times.CHECK, 50), p90: pct(times.CHECK, 90) },
      DEL: { p50: pct(times.DEL, 50), p90: pct(times.DEL, 90) },
      concurrentAdd: { n: concurrent, totalMs: burst, ...(loopDelay ? { eventLoopDelayMs: loopDelay } : {}) },
    };
  }
  // Daemon scale: ADD p99 with 10 vs 1000 attachments present, RSS at 1000.
  const sd = subjects.daemon;
  const scale = await scaleFigures({
    id,
    subject: sd,
    run,
    pct,
    envOf: (ns, cmd) => ({
      ...baseEnv,
      ...sd.env,
      CNI_PATH: sd.path,
      CNI_CONTAINERID: `scale-${ns}`,
      CNI_NETNS: `/run/netns/${ns}`,
      CNI_COMMAND: cmd,
    }),
  });
  scale.rssMbAt1000 = daemon.rssMb();
  results.daemon.scale = scale;
  // The same DEL with --defer-release (firewall and addresses released after the answer too).
  results.daemonDeferRelease = await delVariant({
    root,
    data,
    id,
    subject: sd,
    run,
    pct,
    baseEnv,
    iterations,
    extraArgs: ["--defer-release"],
  });

  const d = results.daemon;
  const q = results.quantum;
  const r = results.reference;
  const rows = [];
  for (const op of ["ADD", "CHECK", "DEL"]) {
    for (const p of ["p50", "p90"]) rows.push([`${op} ${p} (ms)`, d[op][p], q[op][p], r[op][p]]);
  }
  rows.push([
    `${concurrent} concurrent ADDs (ms total)`,
    d.concurrentAdd.totalMs,
    q.concurrentAdd.totalMs,
    r.concurrentAdd.totalMs,
  ]);
  const load = loadavg().map((x) => x.toFixed(2));
  console.log(
    `\nquantum via shim → quantumd, quantum direct mode, reference bridge+host-local; ${iterations} iterations, fresh netns each; load average ${load.join(" ")}\n`,
  );
  console.log(
    `${"figure".padEnd(32)}${"daemon".padStart(9)}${"direct".padStart(9)}${"reference".padStart(11)}${"daemon/ref".padStart(12)}${"direct/ref".padStart(12)}`,
  );
  for (const [label, a, b, c] of rows) {
    console.log(
      `${label.padEnd(32)}${a.toFixed(2).padStart(9)}${b.toFixed(2).padStart(9)}${c.toFixed(2).padStart(11)}${(a / c).toFixed(2).padStart(12)}${(b / c).toFixed(2).padStart(12)}`,
    );
  }
  const targets = [
    ["ADD p50 daemon/ref ≤ 0.4", d.ADD.p50 / r.ADD.p50, 0.4],
    ["DEL p50 daemon/ref ≤ 0.3", d.DEL.p50 / r.DEL.p50, 0.3],
    ["CHECK p50 daemon/ref ≤ 0.5", d.CHECK.p50 / r.CHECK.p50, 0.5],
    [`${concurrent} concurrent ADDs daemon/ref ≤ 0.3`, d.concurrentAdd.totalMs / r.concurrentAdd.totalMs, 0.3],
    ["ADD p99 @1000 / p99 @10 ≤ 1.5", scale.atLarge.p99 / scale.atSmall.p99, 1.5],
    ["direct ADD p50/ref ≤ 4", q.ADD.p50 / r.ADD.p50, 4],
    ["daemon RSS @1000 (MB) ≤ 120", scale.rssMbAt1000, 120],
  ];
  console.log(
    `\ndaemon ADD at ${scale.small} attachments: p50 ${scale.atSmall.p50.toFixed(2)} p99 ${scale.atSmall.p99.toFixed(2)} ms; at ${scale.large}: p50 ${scale.atLarge.p50.toFixed(2)} p99 ${scale.atLarge.p99.toFixed(2)} ms (${scale.samples} samples each)`,
  );
  const dv = results.daemonDeferRelease.DEL;
  console.log(
    `daemon --defer-release DEL: p50 ${dv.p50.toFixed(2)} p90 ${dv.p90.toFixed(2)} ms (ratio to reference p50 ${(dv.p50 / r.DEL.p50).toFixed(2)})`,
  );
  if (d.concurrentAdd.eventLoopDelayMs) {
    console.log(
      `daemon event-loop delay during the concurrent ADDs (ms): ${JSON.stringify(d.concurrentAdd.eventLoopDelayMs)}`,
    );
  }
  console.log("\ntargets");
  for (const [label, value, limit] of targets) {
    console.log(`  ${label.padEnd(40)}${value.toFixed(2).padStart(8)}  ${value <= limit ? "met" : "NOT met"}`);
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
          daemon: Object.fromEntries(rows.map(([l, a, , c]) => [l, a / c])),
          direct: Object.fromEntries(rows.map(([l, , b, c]) => [l, b / c])),
        },
        targets: targets.map(([label, value, limit]) => ({ label, value, limit, met: value <= limit })),
      },
      null,
      2,
    ),
  );
  console.log(`\nsaved ${file}`);
}
