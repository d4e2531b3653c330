/**
 * podman 4.3 with the CNI backend, kept off the machine's shared state (runtimes.md):
 * - a private containers.conf (CONTAINERS_CONF): network_backend cni, our plugin dir and config dir,
 *   runc with cgroupfs (crun refuses this VM's hybrid cgroups), events in a file (no systemd),
 *   default_ulimits within the hard limits (no CAP_SYS_RESOURCE), tmp and lock files in the temp dir;
 * - a private storage.conf (CONTAINERS_STORAGE_CONF): vfs graphroot/runroot in the temp dir;
 * - podman itself runs inside the test's private host netns (nsenter --net), so bridges, routes and
 *   ip_forward land there; containers go under a cgroup parent unique to the lab;
 * - the image is a static busybox rootfs, `podman import`ed (no registry).
 * What podman writes that cannot be redirected (/var/lib/cni/results, /run/runc,
 * /var/lib/containers/cache) is recorded by MachineState and removed again in cleanup().
 */
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
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
import { CleanupSteps } from "./lab-support.js";
import { MachineState } from "./machine-state.js";

export const IMAGE = "localhost/qrt-busybox:latest";
export const LIBCNI_RESULTS = "/var/lib/cni/results";
/** Where rootful podman with netavark keeps its network run state (not redirectable). */
export const NETAVARK_RUN = "/run/containers/networks";
const RUNC_ROOT = "/run/runc";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs cmd (with args) inside a netns with env, asynchronously (daemons in this process keep logging). */
export function runIn(
  netnsPath: string,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 120_000,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn("nsenter", [`--net=${netnsPath}`, cmd, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: code ?? -1,
        stdout,
        stderr: signal ? `${stderr}\n(killed by ${signal} after ${timeoutMs} ms)` : stderr,
      });
    });
  });
}

export function must(run: Run, what: string): Run {
  if (run.code !== 0) throw new Error(`${what}: exit ${run.code}\n${run.stdout}\n${run.stderr}`);
  return run;
}

export class PodmanLab {
  readonly root: string;
  readonly host: TestNetns;
  readonly configDir: string;
  readonly pluginDir: string;
  readonly dataDir: string;
  /** Our cgroup parent (cgroupfs): every container process lives below it in each hierarchy. */
  readonly cgroupParent: string;
  readonly machine: MachineState;
  readonly env: NodeJS.ProcessEnv;
  /** Full ids of the containers this lab created (for /run/runc and the libcni cache). */
  readonly containerIds = new Set<string>();
  /** Network names this lab created (their libcni cache entries are ours). */
  readonly networks = new Set<string>();
  /** The netns paths podman made for our containers (/run/netns/netns-<uuid>). */
  readonly sandboxes = new Set<string>();

  /**
   * @param backend podman's network backend: "cni" (default: our plugin dir and config dir) or
   *   "netavark" (podman's own default backend; the bench compares against it)
   */
  constructor(readonly backend: "cni" | "netavark" = "cni") {
    this.machine = new MachineState(
      [LIBCNI_RESULTS, RUNC_ROOT, "/var/lib/containers/cache", ...(backend === "netavark" ? [NETAVARK_RUN] : [])],
      [
        "/var/lib/containers/cache/blob-info-cache-v1.boltdb",
        ...(backend === "netavark" ? [`${NETAVARK_RUN}/ipam.db`] : []),
      ],
    );
    this.root = mkdtempSync(join(tmpdir(), "qrt-pod-"));
    chmodSync(this.root, 0o755);
    this.cgroupParent = `/${uniqueName("qrtpod", 10)}`;
    try {
      this.host = createTestNetns("qrtp");
    } catch (e) {
      rmSync(this.root, { recursive: true, force: true });
      throw e;
    }
    this.configDir = join(this.root, "net.d");
    this.pluginDir = join(this.root, "cni-bin");
    this.dataDir = join(this.root, "quantum");
    for (const d of ["graph", "run", "tmp", "imgtmp", "net.d", "cni-bin"]) mkdirSync(join(this.root, d));
    // The plugin dir: our shim (resolving its real path, it finds bin/quantum-direct and dist/) and
    // the reference plugins.
    symlinkSync(quantumBin, join(this.pluginDir, "quantum"));
    for (const p of readdirSync(referenceDir)) symlinkSync(join(referenceDir, p), join(this.pluginDir, p));
    const [nofile, nproc] = hardLimits();
    writeFileSync(
      join(this.root, "containers.conf"),
      [
        "[containers]",
        `default_ulimits = ["nofile=${nofile}:${nofile}", "nproc=${nproc}:${nproc}"]`,
        "[network]",
        `network_backend = "${backend}"`,
        `cni_plugin_dirs = ["${this.pluginDir}"]`,
        `network_config_dir = "${this.configDir}"`,
        "[engine]",
        'runtime = "runc"',
        'cgroup_manager = "cgroupfs"',
        'events_logger = "file"',
        `events_logfile_path = "${join(this.root, "events.log")}"`,
        `tmp_dir = "${join(this.root, "tmp")}"`,
        `image_copy_tmp_dir = "${join(this.root, "imgtmp")}"`,
        'lock_type = "file"',
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(this.root, "storage.conf"),
      [
        "[storage]",
        'driver = "vfs"',
        `graphroot = "${join(this.root, "graph")}"`,
        `runroot = "${join(this.root, "run")}"`,
        "",
      ].join("\n"),
    );
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
      HOME: this.root,
      // Handed on to the CNI plugin: the tests' registry, never the machine's.
      QUANTUM_REGISTRY_DIR: testRegistryDir(),
      TMPDIR: join(this.root, "imgtmp"),
      CONTAINERS_CONF: join(this.root, "containers.conf"),
      CONTAINERS_STORAGE_CONF: join(this.root, "storage.conf"),
      CONTAINERS_REGISTRIES_CONF: join(this.root, "registries.conf"),
      // The plugins podman runs inherit this: the shim must not start a daemon of its own.
      QUANTUM_AUTOSTART: "0",
    };
    writeFileSync(join(this.root, "registries.conf"), "unqualified-search-registries = []\n");
    this.env = env;
  }

  podman(args: string[], timeoutMs?: number): Promise<Run> {
    return runIn(this.host.path, "podman", args, this.env, timeoutMs);
  }

  /** A static busybox rootfs with its applet links, imported as IMAGE. */
  async importImage(busybox: string): Promise<void> {
    const rootfs = join(this.root, "rootfs");
    mkdirSync(join(rootfs, "bin"), { recursive: true });
    writeFileSync(join(rootfs, "bin", "busybox"), readFileSync(busybox), { mode: 0o755 });
    const applets = must(await runIn(this.host.path, busybox, ["--list"], this.env), "busybox --list").stdout.split(
      "\n",
    );
    for (const a of applets) if (a && a !== "busybox") symlinkSync("busybox", join(rootfs, "bin", a));
    for (const d of ["etc", "proc", "sys", "dev", "tmp", "run"]) mkdirSync(join(rootfs, d), { recursive: true });
    const tar = join(this.root, "rootfs.tar");
    must(await runIn(this.host.path, "tar", ["-C", rootfs, "-cf", tar, "."], this.env), "tar rootfs");
    must(await this.podman(["import", tar, IMAGE]), "podman import");
  }

  /** `podman run -d` in our cgroup parent; returns the full container id. */
  async run(name: string, network: string, cmd: string[]): Promise<string> {
    const r = await this.podman([
      "run",
      "-d",
      "--name",
      name,
      "--cgroup-parent",
      this.cgroupParent,
      "--network",
      network,
      IMAGE,
      ...cmd,
    ]);
    const id = r.stdout.trim().split("\n").at(-1) ?? "";
    if (/^[0-9a-f]{64}$/.test(id)) this.containerIds.add(id);
    else await this.rememberContainer(name);
    must(r, `podman run ${name}`);
    return id;
  }

  /** Records a container's id by name (a failed run may still have created it). */
  async rememberContainer(name: string): Promise<void> {
    const r = await this.podman(["inspect", "--format", "{{.Id}}", name]);
    if (r.code === 0 && /^[0-9a-f]{64}$/.test(r.stdout.trim())) this.containerIds.add(r.stdout.trim());
  }

  async inspect(name: string): Promise<Record<string, unknown>> {
    const r = must(await this.podman(["inspect", name]), `podman inspect ${name}`);
    return (JSON.parse(r.stdout) as Record<string, unknown>[])[0]!;
  }

  /** Every pid in our cgroup parent, in any hierarchy. */
  cgroupPids(): number[] {
    return cgroupPids(this.cgroupParent);
  }

  /** Our cgroup directories in every hierarchy, deepest first. */
  cgroupDirs(): string[] {
    return cgroupDirs(this.cgroupParent);
  }

  /** What is still on the machine after cleanup() (empty when it left nothing). */
  leftovers(): string[] {
    const out: string[] = [];
    for (const d of this.cgroupDirs()) out.push(`cgroup ${d}`);
    for (const m of mountsBelow(this.root)) out.push(`mount ${m}`);
    for (const s of this.sandboxes) if (existsSync(s)) out.push(`netns ${s}`);
    for (const id of this.containerIds) if (existsSync(join(RUNC_ROOT, id))) out.push(`runc state ${id}`);
    for (const net of this.networks) {
      for (const e of MachineState.entries(LIBCNI_RESULTS, `${net}-`)) out.push(`libcni cache ${e}`);
    }
    if (existsSync(this.root)) out.push(`dir ${this.root}`);
    if (existsSync(this.host.path)) out.push(`netns ${this.host.path}`);
    return out;
  }

  /**
   * Leaves nothing: removes our containers through podman (that DELs their networks), kills any
   * process still in our cgroups (they are our containers'), removes the cgroups, unmounts what
   * podman mounted below our root, deletes the host netns and the temp dir, and what podman left in
   * the machine's shared directories (our containers' /run/runc state, our networks' libcni cache
   * entries, directories that did not exist before). Collects errors and throws the first one.
   */
  async cleanup(): Promise<void> {
    const steps = new CleanupSteps();
    const attempt = (fn: () => unknown) => steps.run(fn);
    await attempt(async () => {
      const ps = await this.podman(["ps", "-a", "--format", "{{.ID}}", "--no-trunc"], 60_000);
      for (const id of ps.stdout.split("\n").filter((l) => /^[0-9a-f]{64}$/.test(l))) this.containerIds.add(id);
      if (this.containerIds.size > 0) await this.podman(["rm", "-f", "-t", "0", ...this.containerIds], 120_000);
    });
    await attempt(async () => {
      for (const pid of this.cgroupPids()) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      const deadline = Date.now() + 10_000;
      while (this.cgroupPids().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      for (const d of this.cgroupDirs()) rmdirSync(d);
    });
    await attempt(() => {
      for (const m of mountsBelow(this.root).reverse()) {
        const r = spawnSync("umount", ["-l", m], { stdio: "ignore", timeout: 10_000 });
        if (r.status !== 0) throw new Error(`umount ${m} failed`);
      }
    });
    await attempt(() => {
      // A netns podman failed to remove: a bind mount in /run/netns.
      for (const s of this.sandboxes) {
        if (!existsSync(s)) continue;
        spawnSync("umount", [s], { stdio: "ignore", timeout: 10_000 });
        rmSync(s, { force: true });
      }
    });
    await attempt(() => {
      for (const id of this.containerIds) this.machine.created(RUNC_ROOT, id);
      for (const net of this.networks) {
        for (const e of MachineState.entries(LIBCNI_RESULTS, `${net}-`)) this.machine.created(LIBCNI_RESULTS, e);
      }
      this.machine.cleanup();
    });
    await attempt(() => deleteTestNetns(this.host));
    await attempt(() => rmSync(this.root, { recursive: true, force: true }));
    steps.finish();
  }
}

/** Mount points at or below dir (from /proc/self/mountinfo), in mount order. */
export function mountsBelow(dir: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const mp = line.split(" ")[4];
    if (mp && (mp === dir || mp.startsWith(`${dir}/`))) out.push(mp.replace(/\\040/g, " "));
  }
  return out;
}

/** The hard nofile/nproc limits of this process (podman's defaults exceed them on this VM). */
function hardLimits(): [number, number] {
  const limits = readFileSync("/proc/self/limits", "utf8");
  const hard = (re: RegExp, fallback: number) => {
    const m = re.exec(limits);
    const v = m?.[1];
    return v === undefined || v === "unlimited" ? fallback : Number(v);
  };
  const nofile = Math.min(hard(/^Max open files\s+\S+\s+(\S+)/m, 1048576), 1048576);
  const nproc = Math.min(hard(/^Max processes\s+\S+\s+(\S+)/m, 32768), 32768);
  return [nofile, nproc];
}
