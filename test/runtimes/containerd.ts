/**
 * A private containerd 1.6 for `ctr run --cni` (runtimes.md):
 * - its own config (root, state, grpc/ttrpc addresses in a temp dir; the CRI plugin disabled);
 * - started inside the test's private host netns and a private mount namespace
 *   (`unshare -m --propagation private`), where the paths containerd, ctr and go-cni fix
 *   (/etc/cni/net.d, /opt/cni/bin, /var/lib/cni, /run/containerd) are our temp dirs bind-mounted over
 *   them; a path that does not exist on the machine is made inside an overlay of its nearest existing
 *   parent, in that namespace only. Nothing is created or changed on the machine's own paths.
 * - ctr runs in containerd's namespaces (nsenter --mount/--net of its pid);
 * - containers use `--rootfs` (a static busybox dir; no image, no snapshotter) and a cgroup path
 *   under a parent unique to the lab;
 * - the plugin dir holds a tracing wrapper around bin/quantum (what go-cni sent: command, CNI_NETNS).
 * cleanup() ends only what this lab started, by pid: its ctr clients, every process in containerd's
 * private mount namespace (containerd, its shims, their containers), then removes cgroups, the
 * netns and the temp dir.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { quantumBin, referenceDir } from "../helpers/cni-runner.js";
import { createTestNetns, deleteTestNetns, type TestNetns, uniqueName } from "../helpers/netns.js";
import { testRegistryDir } from "../helpers/registry.js";
import { cgroupDirs, cgroupPids } from "./cgroups.js";
import { CleanupSteps, pidsInMountNamespace } from "./lab-support.js";
import { mountsBelow, type Run } from "./podman.js";

const MOUNTS_SH = `set -eu
R=$1; shift
# mask TARGET SRC: bind SRC over TARGET; a missing TARGET is made inside an overlay of its nearest
# existing parent (upper layer in our temp dir), in this mount namespace only.
mask() {
  t=$1; src=$2; a=$t
  while [ ! -d "$a" ]; do a=$(dirname "$a"); done
  if [ "$a" != "$t" ]; then
    if [ "$a" = / ]; then echo "mounts.sh: no parent of $t exists but /; refusing to overlay /" >&2; exit 1; fi
    n=$(echo "$a" | tr / _)
    mkdir -p "$R/ov/$n/upper" "$R/ov/$n/work"
    mount -t overlay overlay -o "lowerdir=$a,upperdir=$R/ov/$n/upper,workdir=$R/ov/$n/work" "$a"
    mkdir -p "$t"
  fi
  mount --bind "$src" "$t"
}
mask /etc/cni/net.d "$R/net.d"
mask /opt/cni/bin "$R/cni-bin"
mask /var/lib/cni "$R/cni-cache"
mask /run/containerd "$R/run-containerd"
exec "$@"
`;

export class ContainerdLab {
  readonly root: string;
  readonly host: TestNetns;
  readonly configDir: string;
  readonly pluginDir: string;
  /** go-cni's cache (/var/lib/cni inside the private mount namespace). */
  readonly cacheDir: string;
  readonly dataDir: string;
  readonly rootfs: string;
  readonly socket: string;
  readonly namespace = uniqueName("qrtns", 8);
  readonly cgroupParent = uniqueName("qrtctd", 10);
  readonly tracePath: string;
  #containerd: ChildProcess | undefined;
  #exit: Promise<void> | undefined;
  #mntns: string | undefined;
  readonly #clients = new Set<ChildProcess>();
  log = "";

  constructor() {
    this.root = mkdtempSync(join(tmpdir(), "qrt-ctd-"));
    chmodSync(this.root, 0o755);
    try {
      this.host = createTestNetns("qrtd");
    } catch (e) {
      rmSync(this.root, { recursive: true, force: true });
      throw e;
    }
    this.configDir = join(this.root, "net.d");
    this.pluginDir = join(this.root, "cni-bin");
    this.cacheDir = join(this.root, "cni-cache");
    this.dataDir = join(this.root, "quantum");
    this.rootfs = join(this.root, "rootfs");
    this.socket = join(this.root, "containerd.sock");
    this.tracePath = join(this.root, "trace.log");
    for (const d of ["net.d", "cni-bin", "cni-cache", "run-containerd", "root", "state"]) mkdirSync(join(this.root, d));
    writeFileSync(
      join(this.pluginDir, "quantum"),
      // containerd gives CNI plugins an environment of its own: the wrapper points the plugin at the
      // tests' network registry, never the machine's /var/lib/quantum.
      `#!/bin/sh\necho "$CNI_COMMAND netns=[$CNI_NETNS] id=$CNI_CONTAINERID if=$CNI_IFNAME" >> '${this.tracePath}'\nexport QUANTUM_REGISTRY_DIR='${testRegistryDir()}'\nexec '${quantumBin}' "$@"\n`,
      { mode: 0o755 },
    );
    for (const p of readdirSync(referenceDir)) symlinkSync(join(referenceDir, p), join(this.pluginDir, p));
    writeFileSync(join(this.root, "mounts.sh"), MOUNTS_SH);
    writeFileSync(
      join(this.root, "config.toml"),
      [
        "version = 2",
        `root = "${join(this.root, "root")}"`,
        `state = "${join(this.root, "state")}"`,
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
        "[grpc]",
        `  address = "${this.socket}"`,
        "[ttrpc]",
        `  address = "${this.socket}.ttrpc"`,
        "",
      ].join("\n"),
    );
  }

  /** A static busybox rootfs with its applet links and the mount points runc needs. */
  buildRootfs(busybox: string, applets: string[]): void {
    mkdirSync(join(this.rootfs, "bin"), { recursive: true });
    writeFileSync(join(this.rootfs, "bin", "busybox"), readFileSync(busybox), { mode: 0o755 });
    for (const a of applets) if (a && a !== "busybox") symlinkSync("busybox", join(this.rootfs, "bin", a));
    for (const d of ["proc", "sys", "dev", "tmp", "etc", "run"]) mkdirSync(join(this.rootfs, d), { recursive: true });
  }

  /** Starts containerd (host netns → private mount namespace → containerd) and waits until ctr answers. */
  async start(): Promise<void> {
    // The plugins containerd runs inherit this: the shim must not start a daemon of its own.
    const env = { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", QUANTUM_AUTOSTART: "0" };
    const child = spawn(
      "nsenter",
      [
        `--net=${this.host.path}`,
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        join(this.root, "mounts.sh"),
        this.root,
        "containerd",
        "--config",
        join(this.root, "config.toml"),
      ],
      { env, stdio: ["ignore", "ignore", "pipe"] },
    );
    this.#containerd = child;
    child.stderr!.on("data", (b: Buffer) => {
      this.log += b.toString();
    });
    this.#exit = new Promise((r) => child.once("exit", () => r()));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`containerd exited (${child.exitCode ?? child.signalCode}): ${this.log.slice(-2000)}`);
      }
      if (this.log.includes("containerd successfully booted")) break;
      if (Date.now() > deadline) throw new Error(`containerd not ready after 60 s: ${this.log.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // nsenter and unshare exec: the child's pid is containerd's. Its mount namespace is ours.
    this.#mntns = readlinkSync(`/proc/${child.pid}/ns/mnt`);
    if (this.#mntns === readlinkSync("/proc/self/ns/mnt"))
      throw new Error("containerd is not in a private mount namespace");
  }

  get pid(): number {
    const pid = this.#containerd?.pid;
    if (pid === undefined) throw new Error("containerd is not running");
    return pid;
  }

  /** Starts `ctr <args>` in containerd's namespaces (default: the lab's ctr namespace); the caller awaits `done`. */
  ctr(args: string[], namespace = this.namespace): { child: ChildProcess; done: Promise<Run>; stdout: () => string } {
    const child = spawn(
      "nsenter",
      [
        `--mount=/proc/${this.pid}/ns/mnt`,
        `--net=/proc/${this.pid}/ns/net`,
        "ctr",
        "--address",
        this.socket,
        "--namespace",
        namespace,
        ...args,
      ],
      { env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    this.#clients.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr!.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    const done = new Promise<Run>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code) => {
        this.#clients.delete(child);
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });
    return { child, done, stdout: () => stdout };
  }

  /** The cgroup path for a container (under our unique parent). */
  cgroupOf(id: string): string {
    return `/${this.cgroupParent}/${id}`;
  }

  trace(): string[] {
    try {
      return readFileSync(this.tracePath, "utf8").split("\n").filter(Boolean);
    } catch {
      return [];
    }
  }

  /** Pids of every process in containerd's private mount namespace (containerd, shims, runc). */
  mntnsPids(): number[] {
    return pidsInMountNamespace(this.#mntns);
  }

  /** Every pid in our cgroup parent, in any hierarchy. */
  cgroupPids(): number[] {
    return cgroupPids(this.cgroupParent);
  }

  /** Our cgroup directories in every hierarchy, deepest first. */
  cgroupDirs(): string[] {
    return cgroupDirs(this.cgroupParent);
  }

  /** SIGTERM containerd and wait (SIGKILL after 10 s). */
  async stop(): Promise<void> {
    const c = this.#containerd;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    c.kill("SIGTERM");
    const timer = setTimeout(() => c.kill("SIGKILL"), 10_000);
    await this.#exit;
    clearTimeout(timer);
  }

  /** What is still on the machine after cleanup() (empty when it left nothing). */
  leftovers(): string[] {
    const out: string[] = [];
    for (const p of this.mntnsPids()) out.push(`process ${p}`);
    for (const d of this.cgroupDirs()) out.push(`cgroup ${d}`);
    for (const m of mountsBelow(this.root)) out.push(`mount ${m}`);
    try {
      readdirSync(this.root);
      out.push(`dir ${this.root}`);
    } catch {
      // gone
    }
    return out;
  }

  async cleanup(): Promise<void> {
    const steps = new CleanupSteps();
    const attempt = (fn: () => unknown) => steps.run(fn);
    await attempt(() => {
      for (const c of this.#clients) c.kill("SIGKILL");
    });
    await attempt(() => this.stop());
    await attempt(async () => {
      // Shims, runc and containers left behind: ours by construction (our mount namespace or cgroups).
      const deadline = Date.now() + 10_000;
      for (;;) {
        const pids = [...new Set([...this.mntnsPids(), ...this.cgroupPids()])];
        if (pids.length === 0) break;
        for (const pid of pids) {
          try {
            process.kill(pid, "SIGKILL");
          } catch {
            // gone
          }
        }
        if (Date.now() > deadline) throw new Error(`processes survive SIGKILL: ${pids.join(", ")}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const d of this.cgroupDirs()) rmdirSync(d);
    });
    await attempt(() => deleteTestNetns(this.host));
    await attempt(() => rmSync(this.root, { recursive: true, force: true }));
    steps.finish();
  }
}
