/**
 * containerd 1.6 with its CRI plugin enabled, for playing kubelet (runtimes.md, "containerd's CRI
 * plugin"). Built on ContainerdLab (private host netns, private mount namespace, temp root, process
 * and cgroup cleanup by pid), with:
 * - a config that enables CRI: private root/state/sockets, our CNI bin and conf dirs, max_conf_num 1,
 *   runc via io.containerd.runc.v2 with cgroupfs, no AppArmor, no oom_score_adj changes, pod netns
 *   mounted under the state dir; internal.v1.opt (it would create /opt/containerd) and unused
 *   snapshotters disabled;
 * - tmpfs over /run and /var/lib inside containerd's mount namespace (shim sockets under
 *   /run/containerd/s and libcni's cache under /var/lib/cni are hard-coded), the cache bind-mounted
 *   from our temp dir so the test can read it;
 * - a pause image built by hand (docker-archive: one layer with static busybox, Entrypoint
 *   /bin/sleep) and imported into the k8s.io namespace, so RunPodSandbox never pulls;
 * - the plugin dir's `quantum` is a tracing wrapper around bin/quantum recording, per call, the CNI_*
 *   environment, stdin, stdout and exit code (what containerd sent and what we answered).
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { quantumBin } from "../../helpers/cni-runner.js";
import { runProcess } from "../../helpers/process.js";
import { testRegistryDir } from "../../helpers/registry.js";
import { ContainerdLab } from "../containerd.js";

export const PAUSE_IMAGE = "localhost/qrt-pause:3.6";

const CRI_MOUNTS_SH = `set -eu
R=$1; shift
# Private to this mount namespace: containerd's shim sockets and libcni's cache land here.
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=755 tmpfs /var/lib
mkdir -p /var/lib/cni
mount --bind "$R/cni-cache" /var/lib/cni
exec "$@"
`;

/** One plugin call as the tracing wrapper recorded it. */
export interface TracedCall {
  env: Record<string, string>;
  stdin: Record<string, unknown>;
  stdout: string;
  code: number;
}

export class CriLab extends ContainerdLab {
  readonly traceDir: string;
  readonly podLogRoot: string;

  constructor() {
    super();
    this.traceDir = join(this.root, "calls");
    this.podLogRoot = join(this.root, "pod-logs");
    mkdirSync(this.traceDir);
    mkdirSync(this.podLogRoot);
    rmSync(join(this.pluginDir, "quantum"));
    writeFileSync(join(this.pluginDir, "quantum"), wrapper(this.traceDir), { mode: 0o755 });
    writeFileSync(join(this.root, "mounts.sh"), CRI_MOUNTS_SH);
    writeFileSync(join(this.root, "config.toml"), criConfig(this));
  }

  /** The pause image's one layer: static busybox and a `sleep` link (the Entrypoint). Returns its dir. */
  private pauseRootfs(busybox: string): string {
    const dir = join(this.root, "pause");
    const layerRoot = join(dir, "rootfs");
    mkdirSync(join(layerRoot, "bin"), { recursive: true });
    writeFileSync(join(layerRoot, "bin", "busybox"), readFileSync(busybox), { mode: 0o755 });
    symlinkSync("busybox", join(layerRoot, "bin", "sleep"));
    for (const d of ["proc", "sys", "dev", "etc", "tmp"]) mkdirSync(join(layerRoot, d));
    return dir;
  }

  /** tar the layer, write config and manifest, tar the archive, `ctr -n k8s.io images import` it. */
  async importPauseImage(busybox: string): Promise<void> {
    const dir = this.pauseRootfs(busybox);
    const layerDir = join(dir, "archive", "layer");
    mkdirSync(layerDir, { recursive: true });
    const tar = (args: string[]) => runProcess("tar", args).then((r) => mustRun(r, `tar ${args.join(" ")}`));
    await tar([
      "--numeric-owner",
      "--owner=0",
      "--group=0",
      "-C",
      join(dir, "rootfs"),
      "-cf",
      join(layerDir, "layer.tar"),
      ".",
    ]);
    const diffId = `sha256:${sha256(readFileSync(join(layerDir, "layer.tar")))}`;
    const config = JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: { Entrypoint: ["/bin/sleep"], Cmd: ["2147483647"], WorkingDir: "/" },
      rootfs: { type: "layers", diff_ids: [diffId] },
      history: [{ created_by: "quantum CRI test: static busybox" }],
    });
    const configName = `${sha256(Buffer.from(config))}.json`;
    writeFileSync(join(dir, "archive", configName), config);
    writeFileSync(
      join(dir, "archive", "manifest.json"),
      JSON.stringify([{ Config: configName, RepoTags: [PAUSE_IMAGE], Layers: ["layer/layer.tar"] }]),
    );
    const archive = join(dir, "pause.tar");
    await tar(["-C", join(dir, "archive"), "-cf", archive, "."]);
    const r = await this.ctr(["images", "import", archive], "k8s.io").done;
    if (r.code !== 0) throw new Error(`ctr images import ${archive}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  }

  /** Writes the one conflist CRI reads (max_conf_num = 1), replacing any other. */
  installConflist(name: string, conflist: unknown): void {
    for (const f of readdirSync(this.configDir)) rmSync(join(this.configDir, f));
    writeFileSync(join(this.configDir, `10-${name}.conflist`), JSON.stringify(conflist, null, 2));
  }

  /** Every call the wrapper recorded, oldest first. */
  calls(): TracedCall[] {
    const names = readdirSync(this.traceDir)
      .filter((f) => f.endsWith(".rc"))
      .map((f) => f.slice(0, -3))
      .sort();
    return names.map((n) => {
      const read = (ext: string) => readFileSync(join(this.traceDir, `${n}.${ext}`), "utf8");
      const env: Record<string, string> = {};
      for (const line of read("env").split("\n")) {
        const i = line.indexOf("=");
        if (i > 0) env[line.slice(0, i)] = line.slice(i + 1);
      }
      return {
        env,
        stdin: JSON.parse(read("stdin")) as Record<string, unknown>,
        stdout: read("stdout"),
        code: Number(read("rc")),
      };
    });
  }

  /** Forgets recorded calls (between scenarios). */
  clearCalls(): void {
    for (const f of readdirSync(this.traceDir)) rmSync(join(this.traceDir, f));
  }

  /** A log directory for a pod (kubelet creates it before RunPodSandbox). */
  podLogDir(namespace: string, name: string, uid: string): string {
    const d = join(this.podLogRoot, `${namespace}_${name}_${uid}`);
    mkdirSync(d, { recursive: true });
    return d;
  }
}

function sha256(b: Buffer): string {
  return createHash("sha256").update(b).digest("hex");
}

function mustRun(r: { code: number; stdout: string; stderr: string }, what: string): void {
  if (r.code !== 0) throw new Error(`${what}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
}

/** The tracing wrapper: one set of files per call, named by a nanosecond timestamp and the pid. */
function wrapper(traceDir: string): string {
  return `#!/bin/sh
n="${traceDir}/$(date +%s%N)-$$"
env | grep '^CNI_' | sort > "$n.env"
cat > "$n.stdin"
# What containerd does not hand down: the tests' registry, and no daemon started by the shim itself.
export QUANTUM_REGISTRY_DIR='${testRegistryDir()}' QUANTUM_AUTOSTART=0
'${quantumBin}' "$@" < "$n.stdin" > "$n.stdout"
rc=$?
cat "$n.stdout"
echo $rc > "$n.rc"
exit $rc
`;
}

function criConfig(lab: CriLab): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return [
    "version = 2",
    `root = "${join(lab.root, "root")}"`,
    `state = "${join(lab.root, "state")}"`,
    "disabled_plugins = [",
    '  "io.containerd.internal.v1.opt",',
    '  "io.containerd.snapshotter.v1.aufs",',
    '  "io.containerd.snapshotter.v1.btrfs",',
    '  "io.containerd.snapshotter.v1.devmapper",',
    '  "io.containerd.snapshotter.v1.zfs",',
    "]",
    "[grpc]",
    `  address = "${lab.socket}"`,
    "[ttrpc]",
    `  address = "${lab.socket}.ttrpc"`,
    `[${cri}]`,
    `  sandbox_image = "${PAUSE_IMAGE}"`,
    "  restrict_oom_score_adj = true",
    "  disable_apparmor = true",
    "  netns_mounts_under_state_dir = true",
    '  stream_server_address = "127.0.0.1"',
    '  stream_server_port = "0"',
    `[${cri}.containerd]`,
    '  snapshotter = "overlayfs"',
    '  default_runtime_name = "runc"',
    `[${cri}.containerd.runtimes.runc]`,
    '  runtime_type = "io.containerd.runc.v2"',
    `[${cri}.containerd.runtimes.runc.options]`,
    '  BinaryName = "runc"',
    "  SystemdCgroup = false",
    `[${cri}.cni]`,
    `  bin_dir = "${lab.pluginDir}"`,
    `  conf_dir = "${lab.configDir}"`,
    "  max_conf_num = 1",
    "",
  ].join("\n");
}
