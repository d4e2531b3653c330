// `podman run -d` and `podman rm -f` as users feel them, per network: netavark (podman's default
// backend), the reference CNI bridge + host-local, and quantum in three configurations (the shim
// reaching quantumd through QUANTUM_SOCKET on every call, quantumd named only by the conflist's
// socketPath, no quantumd at all). The figure is the network's cost: a median minus the same lab's
// `--network none` median. Each lab is a PodmanLab (test/runtimes/podman.ts): private host netns,
// config, storage and cgroup parent, removed afterwards. quantumd is started explicitly (the lab
// turns the shim's autostart off). Bounded: `iterations` rounds, subjects interleaved in each round.
import { symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor(s.length / 2)];
};

async function timed(lab, env, args, what) {
  const { must, runIn } = await import("../dist/test/runtimes/podman.js");
  const t0 = performance.now();
  const r = await runIn(lab.host.path, "podman", args, env, 120_000);
  const ms = performance.now() - t0;
  must(r, what);
  return { ms, out: r.stdout };
}

/** One round per iteration: for each subject, run -d then rm -f, timed. */
async function measure(lab, image, subjects, iterations) {
  const times = Object.fromEntries(Object.keys(subjects).map((k) => [k, { run: [], rm: [] }]));
  let n = 0;
  for (let i = 0; i < iterations; i++) {
    for (const [name, s] of Object.entries(subjects)) {
      const ctr = `qb-${name}-${n++}`;
      const env = { ...lab.env, ...(s.env ?? {}) };
      const run = await timed(
        lab,
        env,
        [
          "run",
          "-d",
          "--name",
          ctr,
          "--cgroup-parent",
          lab.cgroupParent,
          "--network",
          s.network,
          image,
          "sleep",
          "600",
        ],
        `podman run ${ctr}`,
      );
      const id = run.out.trim().split("\n").at(-1) ?? "";
      if (/^[0-9a-f]{64}$/.test(id)) lab.containerIds.add(id);
      const rm = await timed(lab, env, ["rm", "-f", "-t", "0", ctr], `podman rm ${ctr}`);
      // Round 0 warms caches (image layers, the daemon's first network setup): not counted.
      if (i > 0) {
        times[name].run.push(run.ms);
        times[name].rm.push(rm.ms);
      }
    }
  }
  return Object.fromEntries(
    Object.entries(times).map(([k, t]) => [k, { run: median(t.run), rm: median(t.rm), samples: t.run.length }]),
  );
}

function quantumConflist(name, o) {
  return {
    cniVersion: "1.0.0",
    name,
    plugins: [
      {
        type: "quantum",
        driver: "bridge",
        bridge: o.bridge,
        subnet: o.subnet,
        gateway: o.gateway,
        dataDir: o.dataDir,
        ...(o.socketPath ? { socketPath: o.socketPath } : {}),
        capabilities: { ips: true, mac: true },
      },
    ],
  };
}

function referenceConflist(name, o) {
  return {
    cniVersion: "1.0.0",
    name,
    plugins: [
      {
        type: "bridge",
        bridge: o.bridge,
        isGateway: true,
        ipMasq: false,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: o.subnet, gateway: o.gateway }]],
          routes: [{ dst: "0.0.0.0/0" }],
          dataDir: o.dataDir,
        },
      },
    ],
  };
}

/** podman figures; `root` is the repository. */
export async function podmanFigures({ root, iterations, baseline }) {
  const { PodmanLab, IMAGE } = await import("../dist/test/runtimes/podman.js");
  const { TestDaemon } = await import("../dist/test/server/daemon.js");
  const busybox = "/bin/busybox";
  const out = { iterations: iterations - 1, none: {}, cost: {}, raw: {}, notes: [] };

  // netavark: podman's default network ("podman", bridge podman0), in a lab of its own.
  const nv = new PodmanLab("netavark");
  try {
    await nv.importImage(busybox);
    const m = await measure(nv, IMAGE, { none: { network: "none" }, netavark: { network: "podman" } }, iterations);
    out.raw.netavark = m;
    out.cost.netavark = { run: m.netavark.run - m.none.run, rm: m.netavark.rm - m.none.rm };
    out.none = m.none;
  } finally {
    await nv.cleanup();
  }

  // CNI backend: the reference and quantum's configurations side by side in one lab.
  const lab = new PodmanLab("cni");
  let daemon;
  let before;
  try {
    await lab.importImage(busybox);
    daemon = new TestDaemon(lab.host.name, { dataDirs: [lab.dataDir] });
    await daemon.start();
    if (baseline) {
      // The baseline's shim under another type name (podman finds plugins by type), its own quantumd.
      symlinkSync(join(baseline, "bin/quantum"), join(lab.pluginDir, "quantum-before"));
      before = new TestDaemon(lab.host.name, {
        dataDirs: [join(lab.root, "before")],
        bin: join(baseline, "bin/quantumd"),
      });
      await before.start();
    }
    const absent = join(lab.root, "no-quantumd.sock");
    const nets = {
      reference: referenceConflist("qb-ref", {
        bridge: "qbpr0",
        subnet: "10.210.0.0/24",
        gateway: "10.210.0.1",
        dataDir: join(lab.root, "hl"),
      }),
      "quantum-env": quantumConflist("qb-qenv", {
        bridge: "qbpq0",
        subnet: "10.211.0.0/24",
        gateway: "10.211.0.1",
        dataDir: lab.dataDir,
        socketPath: daemon.socket,
      }),
      "quantum-socketPath": quantumConflist("qb-qsp", {
        bridge: "qbpq1",
        subnet: "10.212.0.0/24",
        gateway: "10.212.0.1",
        dataDir: lab.dataDir,
        socketPath: daemon.socket,
      }),
      "quantum-direct": quantumConflist("qb-qdir", {
        bridge: "qbpq2",
        subnet: "10.213.0.0/24",
        gateway: "10.213.0.1",
        dataDir: lab.dataDir,
        socketPath: absent,
      }),
    };
    if (before) {
      const conf = quantumConflist("qb-qbef", {
        bridge: "qbpq3",
        subnet: "10.216.0.0/24",
        gateway: "10.216.0.1",
        dataDir: join(lab.root, "before"),
        socketPath: before.socket,
      });
      conf.plugins[0].type = "quantum-before";
      nets["quantum-before"] = conf;
    }
    for (const [, conf] of Object.entries(nets)) {
      writeFileSync(join(lab.configDir, `${conf.name}.conflist`), JSON.stringify(conf));
      lab.networks.add(conf.name);
    }
    const m = await measure(
      lab,
      IMAGE,
      {
        none: { network: "none" },
        reference: { network: "qb-ref" },
        "quantum-env": { network: "qb-qenv", env: { QUANTUM_SOCKET: daemon.socket } },
        "quantum-socketPath": { network: "qb-qsp" },
        "quantum-direct": { network: "qb-qdir" },
        ...(before ? { "quantum-before": { network: "qb-qbef" } } : {}),
      },
      iterations,
    );
    out.raw.cni = m;
    for (const k of [
      "reference",
      "quantum-env",
      "quantum-socketPath",
      "quantum-direct",
      ...(before ? ["quantum-before"] : []),
    ]) {
      out.cost[k] = { run: m[k].run - m.none.run, rm: m[k].rm - m.none.rm };
    }
    // The headline quantum figure: what a user gets by default today (a daemon named by socketPath).
    out.cost.quantum = out.cost["quantum-socketPath"];
    out.notes.push(
      "quantumd started explicitly and the shim's autostart off in the lab (QUANTUM_AUTOSTART=0); quantum-direct: socketPath names no daemon, the shim runs the plugin in-process",
    );
  } finally {
    await before?.cleanup();
    await daemon?.cleanup();
    await lab.cleanup();
  }
  void root;
  return out;
}
