// The runtime figures of `npm run bench`: podman (bench/podman.mjs) and containerd
// (bench/containerd.mjs). Their setup step installs what only the bench needs
// (scripts/install-runtimes.sh --bench: netavark); a runtime that cannot run is reported as skipped.
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export async function runtimeFigures({ root, baseline }) {
  const iterations = Number(process.env.BENCH_RUNTIME_ITERATIONS ?? 8);
  if (process.getuid?.() !== 0) return { skipped: "needs root" };
  const setup = spawnSync("bash", [join(root, "scripts/install-runtimes.sh"), "--bench"], { stdio: "inherit" });
  if (setup.status !== 0) return { skipped: `scripts/install-runtimes.sh --bench failed (exit ${setup.status})` };
  const out = {};
  const { podmanFigures } = await import("./podman.mjs");
  try {
    out.podman = await podmanFigures({ root, iterations, baseline });
  } catch (err) {
    out.podmanError = String(err?.stack ?? err);
    console.error(`podman figures failed: ${out.podmanError}`);
  }
  try {
    const { containerdFigures } = await import("./containerd.mjs");
    out.containerd = await containerdFigures({ root, iterations });
  } catch (err) {
    out.containerdError = String(err?.stack ?? err);
    console.error(`containerd figures failed: ${out.containerdError}`);
  }
  // kubelet's path: CRI RunPodSandbox and Stop + Remove, reference and quantum side by side.
  const cri = spawnSync(process.execPath, [join(root, "bench/cri-run-pod-sandbox.mjs")], { stdio: "inherit" });
  if (cri.status !== 0) out.criError = `bench/cri-run-pod-sandbox.mjs exited ${cri.status}`;
  return out;
}
