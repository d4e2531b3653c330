// Daemon-mode pieces of `npm run bench` (bench/run.mjs): start quantumd inside the bench's private
// host netns (the caller already runs there), and the scale figures: ADD p99 with 10 vs 1000
// attachments present, and the daemon's RSS at 1000 attachments.
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";

function http(socketPath, method, path) {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, timeout: 120_000, agent: false }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Starts bin/quantumd on socket; resolves once /readyz answers 200. Stop it with stop() (SIGTERM) or kill(). */
export async function startDaemon({ root, socket, dataDir, workers, extraArgs = [] }) {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const args = ["--socket", socket, "--data-dir", dataDir, "--log-level", "warn", ...extraArgs];
  if (workers) args.push("--workers", String(workers));
  // bin/quantumd as shipped; it execs node, so child.pid is the daemon's (for RSS).
  const child = spawn(join(root, "bin/quantumd"), args, { env, stdio: ["ignore", "ignore", "inherit"] });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`quantumd exited with ${child.exitCode}`);
    try {
      if ((await http(socket, "GET", "/readyz")).status === 200) break;
    } catch {
      // not yet listening
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error("quantumd not ready after 30 s");
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    pid: child.pid,
    status: async (reset = false) =>
      JSON.parse((await http(socket, "GET", `/v1/status${reset ? "?resetEventLoop=1" : ""}`)).body),
    /** RSS of the whole process (event loop + worker threads), MB. */
    rssMb: () => {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
      return m ? Number(m[1]) / 1024 : Number.NaN;
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

/** Runs fn over items with at most n in flight. */
async function pool(items, n, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/**
 * ADD p99 with `small` then `large` attachments present (each sample: ADD timed on a fresh netns,
 * then DEL, so the count stays put), and RSS at `large`.
 */
export async function scaleFigures({ id, subject, envOf, run, pct, small = 10, large = 1000, samples = 100 }) {
  const prefix = `qbench-${id}-s`;
  let n = 0;
  const makeNetns = (count) => {
    const names = Array.from({ length: count }, () => `${prefix}${n++}`);
    execFileSync("ip", ["-batch", "-"], { input: names.map((x) => `netns add ${x}\n`).join("") });
    return names;
  };
  const conf = JSON.stringify(subject.conf("1.0.0"));
  const present = async (names) =>
    pool(names, 8, async (ns) => {
      await run(subject.bin, envOf(ns, "ADD"), conf);
    });
  const measure = async () => {
    const names = makeNetns(samples);
    const times = [];
    for (const ns of names) {
      times.push((await run(subject.bin, envOf(ns, "ADD"), conf)).ms);
      await run(subject.bin, envOf(ns, "DEL"), conf);
    }
    execFileSync("ip", ["-batch", "-"], { input: names.map((x) => `netns del ${x}\n`).join("") });
    return { p50: pct(times, 50), p99: pct(times, 99) };
  };
  await present(makeNetns(small));
  const atSmall = await measure();
  await present(makeNetns(large - small));
  const atLarge = await measure();
  return { small, large, samples, atSmall, atLarge };
}

/** DEL p50/p90 on a second daemon started with extraArgs (e.g. --defer-release), same harness. */
export async function delVariant({ root, data, id, subject, run, pct, baseEnv, iterations, extraArgs }) {
  const socket = join(data, "variant.sock");
  const d = await startDaemon({ root, socket, dataDir: join(data, "v"), extraArgs });
  try {
    const conf = JSON.stringify({
      ...subject.conf("1.0.0"),
      name: "qvbench",
      bridge: "qbv0",
      subnet: "10.205.0.0/16",
      dataDir: join(data, "v"),
    });
    const times = [];
    for (let i = 0; i < iterations; i++) {
      const ns = `qbench-${id}-v${i}`;
      execFileSync("ip", ["netns", "add", ns]);
      const env = {
        ...baseEnv,
        QUANTUM_SOCKET: socket,
        QUANTUM_AUTOSTART: "0",
        CNI_PATH: subject.path,
        CNI_CONTAINERID: `v${i}`,
        CNI_NETNS: `/run/netns/${ns}`,
      };
      await run(subject.bin, { ...env, CNI_COMMAND: "ADD" }, conf);
      times.push((await run(subject.bin, { ...env, CNI_COMMAND: "DEL" }, conf)).ms);
      execFileSync("ip", ["netns", "del", ns]);
    }
    return { args: extraArgs, DEL: { p50: pct(times, 50), p90: pct(times, 90) } };
  } finally {
    await d.stop();
  }
}
