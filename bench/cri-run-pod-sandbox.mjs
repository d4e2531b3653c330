// RunPodSandbox through containerd 1.6's CRI plugin (the call kubelet makes), same lab, same run:
// quantum with quantumd serving the shim, quantum in direct mode, and the reference bridge +
// host-local. Uses the CRI lab of the runtime tests (build first: `npm run build`); everything lives
// in a private netns and mount namespace and is removed at the end. Variants run in rounds
// (A B C, C B A, ...) so drift on a shared machine hits them alike; each pod is stopped and removed
// (untimed) before the next. Prints median and p90 per variant and saves JSON under bench/results/.
//   node bench/cri-run-pod-sandbox.mjs            (BENCH_PODS per variant and round, default 10; BENCH_ROUNDS, default 2)
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

const root = new URL("..", import.meta.url).pathname;
const dist = (p) => join(root, "dist", p);
const { CriLab } = await import(dist("test/runtimes/cri/lab.js"));
const { CriClient } = await import(dist("test/runtimes/cri/client.js"));
const { TestDaemon } = await import(dist("test/server/daemon.js"));
const { quantumctlBin } = await import(dist("test/cli/ctl.js"));
const { quantumBin } = await import(dist("test/helpers/cni-runner.js"));
const { runIn } = await import(dist("test/runtimes/podman.js"));
// The bench's networks go to a registry of its own (set in process.env for the daemon), never the machine's.
const { testRegistryDir } = await import(dist("test/helpers/registry.js"));

const pods = Number(process.env.BENCH_PODS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const NET = "qrt-benchnet";

const lab = new CriLab();
let daemon;
let cri;
try {
  // No tracing wrapper, only the registry containerd would not pass on (one sh exec, quantum's cost).
  rmSync(join(lab.pluginDir, "quantum"));
  writeFileSync(
    join(lab.pluginDir, "quantum"),
    `#!/bin/sh\nexport QUANTUM_REGISTRY_DIR='${testRegistryDir()}'\nexec '${quantumBin}' "$@"\n`,
    { mode: 0o755 },
  );
  const env = { PATH: process.env.PATH, QUANTUM_REGISTRY_DIR: testRegistryDir() };
  const socketFor = join(lab.root, "none.sock");
  const globals = ["--data-dir", lab.dataDir, "--config-dir", lab.configDir, "--plugin-dir", lab.pluginDir];
  const made = await runIn(
    lab.host.path,
    quantumctlBin,
    [...globals, "--socket", socketFor, "network", "create", NET, "--subnet", "10.89.0.0/16", "--install"],
    env,
  );
  if (made.code !== 0) throw new Error(`quantumctl network create: ${made.stderr}`);
  const quantumList = JSON.parse(readFileSync(join(lab.configDir, `${NET}.conflist`), "utf8"));
  lab.installConflist(NET, quantumList);
  await lab.start();
  await lab.importPauseImage("/bin/busybox");
  cri = new CriClient(lab.socket);
  daemon = new TestDaemon(lab.host.name, { dataDirs: [lab.dataDir], nsenterArgs: [`--mount=/proc/${lab.pid}/ns/mnt`] });
  await daemon.start();

  const withSocket = (socket, extra = {}) => {
    const l = structuredClone(quantumList);
    l.plugins[0].socketPath = socket;
    Object.assign(l.plugins[0], extra);
    return l;
  };
  const reference = {
    cniVersion: "1.0.0",
    name: NET,
    plugins: [
      {
        type: "bridge",
        bridge: "qrtbr-ref",
        isGateway: true,
        ipMasq: false,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: "10.90.0.0/16" }]],
          routes: [{ dst: "0.0.0.0/0" }],
          dataDir: join(lab.root, "host-local"),
        },
      },
    ],
  };
  const variants = {
    "quantum (quantumd)": withSocket(daemon.socket),
    // containerd hands plugins no environment: autostart is turned off in the config itself, or the
    // shim would start a daemon on that socket and the variant would measure it instead.
    "quantum (direct)": withSocket(join(lab.root, "nobody.sock"), { autostart: false }),
    "reference bridge + host-local": reference,
  };
  const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  // StopPodSandbox + RemovePodSandbox (kubelet's teardown: the DELs), per variant.
  const teardown = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  const names = Object.keys(variants);
  let n = 0;
  for (let r = 0; r < rounds; r++) {
    for (const name of r % 2 === 0 ? names : [...names].reverse()) {
      const tag = `bench-${r}-${n++}`;
      lab.installConflist(NET, { ...variants[name], "qrt.scenario": tag });
      const deadline = Date.now() + 20_000;
      while (!((await cri.statusInfo()).cniconfig ?? "").includes(tag)) {
        if (Date.now() > deadline) throw new Error(`containerd did not load ${tag}`);
        await new Promise((res) => setTimeout(res, 50));
      }
      for (let i = 0; i < pods; i++) {
        const uid = `b${r}-${n}-${i}`;
        const podName = `bench-${uid}`;
        const t0 = performance.now();
        const id = await cri.runPodSandbox({
          metadata: { name: podName, uid, namespace: "bench", attempt: 0 },
          hostname: podName,
          logDirectory: lab.podLogDir("bench", podName, uid),
          dnsConfig: { servers: ["10.96.0.10"], searches: ["bench.svc.cluster.local"], options: ["ndots:5"] },
          portMappings: [],
          labels: { "io.kubernetes.pod.name": podName, "io.kubernetes.pod.namespace": "bench" },
          annotations: {},
          linux: { cgroupParent: `/${lab.cgroupParent}/pod${uid}` },
        });
        samples[name].push(performance.now() - t0);
        const t1 = performance.now();
        await cri.stopPodSandbox(id);
        await cri.removePodSandbox(id);
        teardown[name].push(performance.now() - t1);
      }
    }
  }
  const stat = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
    return { n: s.length, median: q(0.5), p90: q(0.9), min: s[0] };
  };
  const results = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, stat(v)]));
  const stops = Object.fromEntries(Object.entries(teardown).map(([k, v]) => [k, stat(v)]));
  const ref = results["reference bridge + host-local"].median;
  const refStop = stops["reference bridge + host-local"].median;
  console.log(
    `RunPodSandbox (containerd 1.6.20 CRI, pause image local), ${pods} pods x ${rounds} rounds, load ${loadavg()[0].toFixed(2)}`,
  );
  console.log("variant                           median ms   p90 ms   min ms   median/reference");
  for (const [k, v] of Object.entries(results)) {
    console.log(
      `${k.padEnd(33)} ${v.median.toFixed(1).padStart(9)} ${v.p90.toFixed(1).padStart(8)} ${v.min.toFixed(1).padStart(8)}   ${(v.median / ref).toFixed(2)}`,
    );
  }
  console.log("Stop + Remove                     median ms   p90 ms   min ms   median/reference");
  for (const [k, v] of Object.entries(stops)) {
    console.log(
      `${k.padEnd(33)} ${v.median.toFixed(1).padStart(9)} ${v.p90.toFixed(1).padStart(8)} ${v.min.toFixed(1).padStart(8)}   ${(v.median / refStop).toFixed(2)}`,
    );
  }
  const out = join(
    root,
    "bench",
    "results",
    `cri-run-pod-sandbox-${new Date().toISOString().replace(/[:.]/g, "-")}.json`,
  );
  writeFileSync(out, JSON.stringify({ pods, rounds, load: loadavg(), results, stops, samples, teardown }, null, 2));
  console.log(`saved ${out}`);
} finally {
  cri?.close();
  await daemon?.cleanup();
  await lab.cleanup();
  const left = lab.leftovers();
  if (left.length > 0) {
    console.error(`left on the machine: ${left.join(", ")}`);
    process.exitCode = 1;
  }
}
