// node bench/autostart.mjs: what a user who never started quantumd pays (issue 13, items 1-2).
//   - VERSION through the shim (answered in C) with and without a daemon, and in direct mode;
//   - the first ADD with autostart, served in-process while the daemon starts (wait 0), or after
//     waiting for the started daemon's socket (wait), against autostart off (in-process only);
//   - the second and third ADD (daemon up), and 20 racing first ADDs in each mode.
// Runs itself inside a private "host" netns; every trial has its own socket, data dir and bridge,
// and every daemon a trial starts is killed by the pid in its lock file. Medians; JSON in
// bench/results/.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

const root = new URL("..", import.meta.url).pathname;
const shim = join(root, "bin", "quantum");
const direct = join(root, "bin", "quantum-direct");
const trials = Number(process.env.BENCH_TRIALS ?? 7);
const versionCalls = Number(process.env.BENCH_VERSION_CALLS ?? 300);
const racers = Number(process.env.BENCH_RACERS ?? 20);
let seq = 0;

if (process.argv[2] !== "--inner") {
  const id = Math.random().toString(16).slice(2, 8);
  const hostNs = `qbauto-${id}`;
  execFileSync("ip", ["netns", "add", hostNs]);
  try {
    const env = { ...process.env, BENCH_ID: id };
    delete env.NODE_EXTRA_CA_CERTS;
    const res = spawnSync(
      "nsenter",
      [`--net=/run/netns/${hostNs}`, process.execPath, import.meta.filename, "--inner"],
      {
        stdio: "inherit",
        env,
      },
    );
    process.exitCode = res.status ?? 1;
  } finally {
    for (const line of execFileSync("ip", ["netns", "list"], { encoding: "utf8" }).split("\n")) {
      const name = line.split(" ")[0];
      if (name?.startsWith(`qbauto-${process.env.BENCH_ID ?? id}`)) spawnSync("ip", ["netns", "del", name]);
    }
  }
} else {
  await inner();
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor((s.length - 1) / 2)];
}

function run(bin, env, stdin) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(bin, [], { env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (b) => (out += b));
    child.stderr.on("data", (b) => (err += b));
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = performance.now() - t0;
      if (code !== 0) reject(new Error(`${bin} ${env.CNI_COMMAND} exit ${code}: ${out} ${err}`));
      else resolve({ ms, out });
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(stdin);
  });
}

function newContainer() {
  const name = `qbauto-${process.env.BENCH_ID}-c${seq++}`;
  execFileSync("ip", ["netns", "add", name]);
  return name;
}

/** One trial's world: a socket, a data dir, a bridge; cleanup kills the daemon by its pid. */
function trialWorld(autostart, waitMs, starterWaits = false) {
  const dir = mkdtempSync(join(tmpdir(), "qbauto-"));
  const socket = join(dir, "quantum.sock");
  const n = seq++;
  const conf = JSON.stringify({
    cniVersion: "1.0.0",
    name: `auto${n}`,
    type: "quantum",
    driver: "bridge",
    subnet: `10.${100 + (n % 100)}.0.0/16`,
    gateway: `10.${100 + (n % 100)}.0.1`,
    bridge: `qba${process.env.BENCH_ID}${n}`.slice(0, 15),
    dataDir: join(dir, "data"),
  });
  const env = (cmd, cid, ns) => ({
    PATH: process.env.PATH,
    CNI_COMMAND: cmd,
    CNI_CONTAINERID: cid,
    CNI_NETNS: `/run/netns/${ns}`,
    CNI_IFNAME: "eth0",
    CNI_PATH: join(root, "bin"),
    QUANTUM_SOCKET: socket,
    QUANTUM_AUTOSTART: autostart ? "1" : "0",
    QUANTUM_AUTOSTART_WAIT_MS: String(waitMs),
    QUANTUM_AUTOSTART_STARTER_WAITS: starterWaits ? "1" : "0",
  });
  const add = async (cid) => run(shim, env("ADD", cid, newContainer()), conf);
  const waitReady = async () => {
    const deadline = Date.now() + 30_000;
    while (!existsSync(socket)) {
      if (Date.now() > deadline) throw new Error(`no daemon on ${socket}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const cleanup = () => {
    // Every daemon on this trial's socket, found by its command line (the lock file's pid alone
    // misses one that never wrote it).
    for (const pid of daemonsOn(socket)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { add, waitReady, cleanup, socket };
}

/** Pids of the quantumd processes serving socket (test/server/find-daemons.ts does the same). */
function daemonsOn(socket) {
  const pids = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let argv;
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    const i = argv.indexOf("--socket");
    if (argv.some((a) => a.endsWith("/quantumd.js")) && i >= 0 && argv[i + 1] === socket) pids.push(Number(name));
  }
  return pids;
}

async function versionTimes(bin, env) {
  const ms = [];
  for (let i = 0; i < versionCalls; i++) ms.push((await run(bin, env, '{"cniVersion":"1.0.0"}')).ms);
  return median(ms);
}

async function inner() {
  const results = {};
  const vEnv = { PATH: process.env.PATH, CNI_COMMAND: "VERSION" };
  // The spawn itself (fork + exec of a trivial C program) is the floor every figure includes.
  results.spawnFloorMs = await versionTimes("/bin/true", vEnv);
  results.versionShimNoDaemonMs = await versionTimes(shim, { ...vEnv, QUANTUM_SOCKET: "/nonexistent/q.sock" });
  {
    const w = trialWorld(true, 10_000);
    try {
      await w.add("warm-0");
      results.versionShimWithDaemonMs = await versionTimes(shim, { ...vEnv, QUANTUM_SOCKET: w.socket });
    } finally {
      w.cleanup();
    }
  }
  const directMs = [];
  for (let i = 0; i < 20; i++) directMs.push((await run(direct, vEnv, "")).ms);
  results.versionDirectMs = median(directMs);

  // [autostart, wait ms for a call that finds the daemon starting, whether its starter waits too]
  const modes = {
    "autostart off: in-process": [false, 0, false],
    "autostart, every call in-process while it starts": [true, 0, false],
    "autostart, starter in-process, the others wait (default)": [true, 10_000, false],
    "autostart, every call waits for the daemon": [true, 10_000, true],
  };
  // Modes take turns within each trial, so the machine's load drifts over all of them alike.
  const samples = Object.fromEntries(
    Object.keys(modes).map((m) => [m, { first: [], second: [], third: [], raceWall: [], raceCall: [], raceMax: [] }]),
  );
  for (let t = 0; t < trials; t++) {
    for (const [label, [autostart, waitMs, starterWaits]] of Object.entries(modes)) {
      const s = samples[label];
      const w = trialWorld(autostart, waitMs, starterWaits);
      try {
        s.first.push((await w.add(`first-${t}`)).ms);
        if (autostart) await w.waitReady();
        s.second.push((await w.add(`second-${t}`)).ms);
        s.third.push((await w.add(`third-${t}`)).ms);
      } finally {
        w.cleanup();
      }
      const r = trialWorld(autostart, waitMs, starterWaits);
      try {
        const t0 = performance.now();
        const runs = await Promise.all(Array.from({ length: racers }, (_, i) => r.add(`race-${t}-${i}`)));
        s.raceWall.push(performance.now() - t0);
        s.raceCall.push(median(runs.map((x) => x.ms)));
        s.raceMax.push(Math.max(...runs.map((x) => x.ms)));
      } finally {
        r.cleanup();
      }
    }
  }
  const pick = (key) => Object.fromEntries(Object.entries(samples).map(([m, s]) => [m, median(s[key])]));
  results.firstAdd = pick("first");
  results.secondAdd = pick("second");
  results.thirdAdd = pick("third");
  results.raceWallMs = pick("raceWall");
  results.raceMedianCallMs = pick("raceCall");
  // The slowest call of any race: a daemon whose start-up reconcile waited out its grace shows here.
  results.raceWorstCallMs = Object.fromEntries(Object.entries(samples).map(([m, s]) => [m, Math.max(...s.raceMax)]));
  console.log(JSON.stringify(results, null, 2));
  const file = join(root, "bench", "results", `autostart-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2));
  console.log(`saved ${file}`);
}
