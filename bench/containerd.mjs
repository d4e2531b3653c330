// containerd's cost of a container's network, as `ctr run --rm --cni` pays it (ADD before the task
// starts, DEL after it exits): the CRI client (RunPodSandbox/StopPodSandbox/RemovePodSandbox) is
// not on this branch, so this measures ctr's go-cni path instead. Per subject, a median of
// `ctr run --rm [--cni] ... /bin/true` minus the same median without --cni. One ContainerdLab
// (test/runtimes/containerd.ts: private containerd, host netns, mount namespace, cgroup parent),
// removed afterwards; quantumd started explicitly in the lab's host netns.
import { readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor(s.length / 2)];
};

export async function containerdFigures({ root, iterations }) {
  const { ContainerdLab } = await import("../dist/test/runtimes/containerd.js");
  const { TestDaemon } = await import("../dist/test/server/daemon.js");
  const { quantumBin } = await import("../dist/test/helpers/cni-runner.js");
  const lab = new ContainerdLab();
  let daemon;
  try {
    lab.buildRootfs("/bin/busybox", ["sh", "true"]);
    // The lab's tracing wrapper costs a sh per call: the bench execs the shim itself.
    rmSync(join(lab.pluginDir, "quantum"));
    symlinkSync(quantumBin, join(lab.pluginDir, "quantum"));
    daemon = new TestDaemon(lab.host.name, { dataDirs: [lab.dataDir] });
    await daemon.start();
    await lab.start();
    const confs = {
      reference: {
        cniVersion: "1.0.0",
        name: "qb-ctd-ref",
        plugins: [
          {
            type: "bridge",
            bridge: "qbcr0",
            isGateway: true,
            ipam: {
              type: "host-local",
              ranges: [[{ subnet: "10.214.0.0/24" }]],
              routes: [{ dst: "0.0.0.0/0" }],
              dataDir: join(lab.root, "hl"),
            },
          },
        ],
      },
      quantum: {
        cniVersion: "1.0.0",
        name: "qb-ctd-q",
        plugins: [
          {
            type: "quantum",
            driver: "bridge",
            bridge: "qbcq0",
            subnet: "10.215.0.0/24",
            gateway: "10.215.0.1",
            dataDir: lab.dataDir,
            socketPath: daemon.socket,
          },
        ],
      },
    };
    const times = { none: [], reference: [], quantum: [] };
    let n = 0;
    for (let i = 0; i < iterations; i++) {
      for (const subject of Object.keys(times)) {
        for (const f of readdirSync(lab.configDir)) rmSync(join(lab.configDir, f));
        if (confs[subject]) writeFileSync(join(lab.configDir, "10-bench.conflist"), JSON.stringify(confs[subject]));
        const id = `qb-ctd-${n++}`;
        const args = ["run", "--rm", ...(subject === "none" ? [] : ["--cni"])];
        args.push("--cgroup", lab.cgroupOf(id), "--rootfs", lab.rootfs, id, "/bin/true");
        const t0 = performance.now();
        const r = await lab.ctr(args).done;
        const ms = performance.now() - t0;
        if (r.code !== 0) throw new Error(`ctr run ${subject}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
        if (i > 0) times[subject].push(ms); // round 0 warms up
      }
    }
    const none = median(times.none);
    const subjects = {};
    for (const k of ["reference", "quantum"]) {
      const m = median(times[k]);
      // The network's whole cost here (ADD + DEL): ctr has no separate stop/remove step to time.
      subjects[k] = { start: m - none, medianMs: m };
    }
    return {
      method: "ctr run --rm --cni (ADD+DEL)",
      iterations: iterations - 1,
      noneMedianMs: none,
      subjects,
      notes: ["CRI client not on this branch: ctr's go-cni path measured instead; quantumd started explicitly"],
    };
  } finally {
    await daemon?.cleanup();
    await lab.cleanup();
    void root;
  }
}
