// npm run bench: quantum through the shim → quantumd (daemon mode), quantum direct mode, and the
// reference bridge + host-local, same harness, same run.
// Runs itself inside a private "host" netns; each iteration gets a fresh container netns.
// Prints a table with ratios quantum/reference and saves JSON under bench/results/.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { delVariant, scaleFigures, startDaemon } from "./daemon.mjs";
import { report } from "./report.mjs";
import { runtimeFigures } from "./runtimes.mjs";

const root = new URL("..", import.meta.url).pathname;
const iterations = Number(process.env.BENCH_ITERATIONS ?? 40);
const concurrent = Number(process.env.BENCH_CONCURRENT ?? 50);
const refDir = process.env.CNI_REFERENCE_DIR ?? "/usr/lib/cni";
// BENCH_QUICK=1: only the daemon and the reference, no scale figures or variants (while iterating).
const quick = process.env.BENCH_QUICK === "1";
// BENCH_BASELINE=DIR: a built checkout of an earlier commit; its shim → its own quantumd is measured
// too (subject "before"), so before and after come from the same run.
const baseline = process.env.BENCH_BASELINE;

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
    // The fabric's figures (per-peer cost, convergence): its own netns and etcd, see bench/fabric.mjs.
    if (!process.env.BENCH_SKIP_FABRIC) {
      const fab = spawnSync(process.execPath, [join(root, "bench/fabric.mjs")], { stdio: "inherit", env });
      if (fab.status !== 0) process.exitCode = fab.status ?? 1;
    }
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
  const before = baseline
    ? await startDaemon({ root: baseline, socket: join(data, "before.sock"), dataDir: join(data, "b") })
    : undefined;
  try {
    await benchAll({ id, data, nsPath, baseEnv, daemon, before });
  } finally {
    await before?.stop();
    await daemon.stop();
    rmSync(data, { recursive: true, force: true });
  }
}

async function benchAll({ id, data, nsPath, baseEnv, daemon, before }) {
  const subjects = {
    ...(before
      ? {
          // The same, built from BENCH_BASELINE.
          before: {
            bin: join(baseline, "bin/quantum"),
            path: `${join(baseline, "bin")}:${refDir}`,
            env: { QUANTUM_SOCKET: join(data, "before.sock") },
            conf: (v) => ({
              cniVersion: v,
              name: "qbbench",
              type: "quantum",
              driver: "bridge",
              bridge: "qbb0",
              subnet: "10.203.0.0/16",
              dataDir: join(data, "b"),
            }),
          },
        }
      : {}),
    // The shim (bin/quantum) → quantumd.
    daemon: {
      bin: join(root, "bin/quantum"),
      path: `${join(root, "bin")}:${refDir}`,
      // Autostart off: a call the bench's daemon misses must not start a second one.
      env: { QUANTUM_SOCKET: join(data, "quantumd.sock"), QUANTUM_AUTOSTART: "0" },
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
    if (quick && name === "quantum") continue;
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
    const d = { daemon, before }[name];
    if (d) await d.status(true);
    const t0 = performance.now();
    await Promise.all(names.map((ns) => run(s.bin, envOf(ns, "ADD"), conf)));
    const burst = performance.now() - t0;
    const loopDelay = d ? (await d.status()).eventLoopDelayMs : undefined;
    const t1 = performance.now();
    await Promise.all(names.map((ns) => run(s.bin, envOf(ns, "DEL"), conf)));
    const delBurst = performance.now() - t1;
    const batches = d ? (await d.status()).linkDeletionBatches : undefined;
    for (const ns of names) spawnSync("ip", ["netns", "del", `qbench-${id}-${ns}`]);
    results[name] = {
      ADD: { p50: pct(times.ADD, 50), p90: pct(times.ADD, 90) },
      CHECK: { p50: pct(times.CHECK, 50), p90: pct(times.CHECK, 90) },
      DEL: { p50: pct(times.DEL, 50), p90: pct(times.DEL, 90) },
      concurrentAdd: { n: concurrent, totalMs: burst, ...(loopDelay ? { eventLoopDelayMs: loopDelay } : {}) },
      concurrentDel: { n: concurrent, totalMs: delBurst, ...(batches ? { linkDeletionBatches: batches } : {}) },
    };
  }
  if (!quick) {
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
  }
  if (process.env.BENCH_RUNTIMES !== "0") results.runtimes = await runtimeFigures({ root, baseline });
  report({ root, results, iterations, concurrent });
}
