// `docker run -d` with quantum (remote network + IPAM driver through quantumd) next to Docker's own
// bridge driver and --network none, same dockerd, same run, interleaved. A private dockerd and
// quantumd (test/runtimes/docker.ts's DockerLab) in a private netns and mount namespace; Docker's
// bridge there has iptables and forwarding on, inside that netns only (its tables and sysctls are
// per netns; this kernel has br_netfilter built in, so nothing is loaded).
// Needs `npm run build` and scripts/install-docker.sh. Prints a table, saves JSON under bench/results/.
//   node bench/docker-run.mjs            (BENCH_DOCKER_RUNS=15 per variant)
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

const root = new URL("..", import.meta.url).pathname;
const runs = Number(process.env.BENCH_DOCKER_RUNS ?? 15);
const { DockerLab, IMAGE } = await import(join(root, "dist/test/runtimes/docker.js"));

const lab = new DockerLab(undefined, { ownBridge: "10.199.0.1/24" });
const results = { none: [], bridge: [], quantum: [] };
const driverMs = {};
try {
  await lab.startHolder();
  await lab.startQuantumd(["--log-level", "info"]);
  await lab.startDockerd();
  const busybox = "/bin/busybox";
  await lab.importImage(busybox, execFileSync(busybox, ["--list"], { encoding: "utf8" }).split("\n"));
  await lab.must([
    "network",
    "create",
    "-d",
    lab.driver,
    "--ipam-driver",
    lab.driver,
    "--subnet",
    "10.198.0.0/24",
    "qbench",
  ]);
  const networks = { none: "none", bridge: "bridge", quantum: "qbench" };
  // One unmeasured run each: image layers, the bridge and the firewall ruleset are made once.
  for (const [variant, net] of Object.entries(networks)) {
    await lab.must(["run", "-d", "--name", `warm-${variant}`, "--network", net, IMAGE, "sleep", "1000"]);
  }
  for (let i = 0; i < runs; i++) {
    for (const [variant, net] of Object.entries(networks)) {
      const t0 = performance.now();
      await lab.must(["run", "-d", "--name", `${variant}-${i}`, "--network", net, IMAGE, "sleep", "1000"]);
      results[variant].push(performance.now() - t0);
    }
  }
  // Connectivity, so the numbers are of working containers.
  const ip = await lab.must([
    "inspect",
    "--format",
    "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
    "quantum-0",
  ]);
  await lab.must(["exec", "quantum-1", "ping", "-c1", "-W2", ip]);
  const bip = await lab.must([
    "inspect",
    "--format",
    "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
    "bridge-0",
  ]);
  await lab.must(["exec", "bridge-1", "ping", "-c1", "-W2", bip]);
  // Time quantumd spent per call (its own log: from request to answer, in the daemon).
  for (const line of lab.quantumdLog.split("\n")) {
    if (!line.includes('"docker request"')) continue;
    const j = JSON.parse(line);
    if (!driverMs[j.method]) driverMs[j.method] = [];
    driverMs[j.method].push(j.durationMs);
  }
} finally {
  await lab.cleanup();
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, median: q(0.5), p90: q(0.9), min: s[0], max: s.at(-1) };
};
const table = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, stats(v)]));
console.log(`docker run -d, ms (${runs} each, interleaved; loadavg ${loadavg()[0].toFixed(2)})`);
console.log("variant   median    p90    min    max");
for (const [k, s] of Object.entries(table)) {
  console.log(
    `${k.padEnd(8)} ${s.median.toFixed(0).padStart(7)} ${s.p90.toFixed(0).padStart(6)} ${s.min.toFixed(0).padStart(6)} ${s.max.toFixed(0).padStart(6)}`,
  );
}
console.log(
  `quantum/bridge median ${(table.quantum.median / table.bridge.median).toFixed(2)}, quantum-none ${(table.quantum.median - table.none.median).toFixed(0)} ms, bridge-none ${(table.bridge.median - table.none.median).toFixed(0)} ms`,
);
const perRun = [
  "IpamDriver.RequestAddress",
  "NetworkDriver.CreateEndpoint",
  "NetworkDriver.Join",
  "NetworkDriver.ProgramExternalConnectivity",
  "NetworkDriver.EndpointOperInfo",
];
console.log(
  "quantumd time per call (median ms; calls per docker run: RequestAddress 1 per family, EndpointOperInfo 2):",
);
for (const m of perRun) if (driverMs[m]) console.log(`  ${m.padEnd(44)} ${stats(driverMs[m]).median.toFixed(2)}`);
mkdirSync(join(root, "bench/results"), { recursive: true });
const out = join(root, "bench/results", `docker-run-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(out, JSON.stringify({ runs, loadavg: loadavg(), table, results, driverMs }, null, 2));
console.log(`saved ${out}`);
