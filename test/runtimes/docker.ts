/**
 * A private dockerd (docker.io 20.10, extracted into .runtimes/docker by scripts/install-docker.sh)
 * and the quantumd that serves it as its remote network and IPAM driver (runtimes.md):
 * - a holder process keeps a private mount namespace inside the test's private host netns; in it
 *   tmpfs covers /run, /opt and (when present) /etc/docker, because dockerd's plugin dirs
 *   (/run/docker/plugins, /etc/docker/plugins) and its containerd paths are hard-coded;
 * - dockerd and quantumd are started separately in the holder's namespaces (nsenter --mount --net),
 *   so quantumd can be stopped and restarted under a running dockerd; quantumd listens on
 *   /run/docker/plugins/<driver>.sock there, i.e. inside the tmpfs, invisible to the machine;
 * - dockerd gets its own data root, exec root, pidfile, API socket and cgroup parent and no userland
 *   proxy; by default no iptables, masquerade, forwarding or docker0 (--bridge=none), or with
 *   `ownBridge` all of those as on a real host, inside our private netns (netfilter tables and
 *   these sysctls are per netns; br_netfilter must be built in or loaded already: see preflight);
 * - the image is a static busybox rootfs, `docker import`ed (no registry).
 * cleanup() removes our containers and networks through docker, stops dockerd and quantumd by pid,
 * kills whatever is left in the private mount namespace or our cgroups (ours by construction),
 * removes the cgroups, the netns and the temp dir.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createTestNetns, deleteTestNetns, type TestNetns, uniqueName } from "../helpers/netns.js";
import { type ProcessRun, runProcess } from "../helpers/process.js";
import { cgroupDirs, cgroupPids } from "./cgroups.js";
import { CleanupSteps, pidsInMountNamespace } from "./lab-support.js";
import { mountsBelow } from "./podman.js";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
export const DOCKER_ROOT = join(repo, ".runtimes/docker");
export const DOCKER_BIN = join(DOCKER_ROOT, "usr/bin/docker");
export const DOCKERD_BIN = join(DOCKER_ROOT, "usr/sbin/dockerd");
const QUANTUMD = join(repo, "bin/quantumd");
export const IMAGE = "qrt-busybox:1";
const BR_NETFILTER = "/proc/sys/net/bridge/bridge-nf-call-iptables";
const ETC_DOCKER = "/etc/docker";

const MOUNTS_SH = `set -eu
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=0755 tmpfs /opt
if [ -d /etc/docker ]; then mount -t tmpfs -o mode=0755 tmpfs /etc/docker; fi
mkdir -p /run/docker/plugins
exec "$@"
`;

export class DockerLab {
  readonly root: string;
  readonly host: TestNetns;
  readonly dataDir: string;
  readonly apiSocket: string;
  /** quantumd's CNI socket (under our temp dir: the shim outside the mount namespace reaches it). */
  readonly quantumSocket: string;
  readonly driver: string;
  /** Where Docker looks for the driver: inside the private mount namespace. */
  readonly pluginSocket: string;
  readonly cgroupParent = uniqueName("qrtdk", 10);
  #holder: ChildProcess | undefined;
  #mntns: string | undefined;
  #dockerd: ChildProcess | undefined;
  #dockerdExit: Promise<void> | undefined;
  #quantumd: ChildProcess | undefined;
  #quantumdExit: Promise<void> | undefined;
  readonly #etcDockerBefore: boolean;
  dockerdLog = "";
  quantumdLog = "";
  /** Every quantumd log of this lab, restarts included. */
  quantumdLogs: string[] = [];

  /**
   * ownBridge: Docker's own bridge driver too (docker0 with that --bip, iptables and forwarding in
   * our private netns: its netfilter tables and these sysctls are per netns), for comparisons.
   */
  constructor(
    driver = uniqueName("qrtq", 6),
    readonly o: { ownBridge?: string } = {},
  ) {
    this.driver = driver;
    this.pluginSocket = `/run/docker/plugins/${driver}.sock`;
    this.root = mkdtempSync(join(tmpdir(), "qrt-dk-"));
    chmodSync(this.root, 0o755);
    try {
      this.host = createTestNetns("qrtk");
    } catch (e) {
      rmSync(this.root, { recursive: true, force: true });
      throw e;
    }
    this.dataDir = join(this.root, "quantum");
    this.apiSocket = join(this.root, "docker.sock");
    this.quantumSocket = join(this.root, "quantum.sock");
    for (const d of ["data", "exec", "quantum"]) mkdirSync(join(this.root, d));
    writeFileSync(join(this.root, "mounts.sh"), MOUNTS_SH);
    // dockerd writes its trust key to /etc/docker/key.json unless told otherwise: on a machine
    // without /etc/docker (nothing to mask) that would create it there.
    writeFileSync(
      join(this.root, "daemon.json"),
      `${JSON.stringify({ "deprecated-key-path": join(this.root, "key.json") })}\n`,
    );
    this.#etcDockerBefore = existsSync(ETC_DOCKER);
  }

  /** Starts the namespace holder: private mount namespace with the masks, inside our host netns. */
  async startHolder(): Promise<void> {
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
        "sleep",
        "infinity",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    this.#holder = child;
    let err = "";
    child.stderr!.on("data", (b: Buffer) => {
      err += b.toString();
    });
    const self = readlinkSync("/proc/self/ns/mnt");
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`namespace holder exited: ${err}`);
      try {
        const ns = readlinkSync(`/proc/${child.pid}/ns/mnt`);
        // Ready once sleep runs: the masks are mounted by then.
        const comm = readFileSync(`/proc/${child.pid}/comm`, "utf8").trim();
        if (ns !== self && comm === "sleep") {
          this.#mntns = ns;
          return;
        }
      } catch {
        // not there yet
      }
      if (Date.now() > deadline) throw new Error(`namespace holder not ready: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  get holderPid(): number {
    const pid = this.#holder?.pid;
    if (pid === undefined) throw new Error("namespace holder is not running");
    return pid;
  }

  #enter(): string[] {
    return [`--mount=/proc/${this.holderPid}/ns/mnt`, `--net=/proc/${this.holderPid}/ns/net`];
  }

  /** Starts quantumd with the Docker plugin socket; resolves once Docker's socket is there. */
  async startQuantumd(extra: string[] = []): Promise<void> {
    const env = { ...process.env };
    delete env["NODE_EXTRA_CA_CERTS"];
    const child = spawn(
      "nsenter",
      [
        ...this.#enter(),
        QUANTUMD,
        "--socket",
        this.quantumSocket,
        "--data-dir",
        this.dataDir,
        "--docker-plugin-socket",
        this.pluginSocket,
        "--reconcile-grace-ms",
        "200",
        "--log-level",
        "debug",
        // Short, so the deadline test waits little; a normal call takes a few ms.
        "--docker-deadline-ms",
        "2000",
        ...extra,
      ],
      { env, stdio: ["ignore", "pipe", "pipe"] },
    );
    this.#quantumd = child;
    this.quantumdLog = "";
    this.quantumdLogs.push("");
    const index = this.quantumdLogs.length - 1;
    const collect = (b: Buffer) => {
      this.quantumdLog += b.toString();
      this.quantumdLogs[index] = this.quantumdLog;
    };
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    this.#quantumdExit = new Promise((r) => child.once("exit", () => r()));
    const deadline = Date.now() + 20_000;
    while (!this.quantumdLog.includes('"quantumd ready"')) {
      if (child.exitCode !== null) throw new Error(`quantumd exited: ${this.quantumdLog.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`quantumd not ready: ${this.quantumdLog.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM quantumd (by its pid) and wait for it. */
  async stopQuantumd(): Promise<void> {
    const c = this.#quantumd;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    c.kill("SIGTERM");
    const timer = setTimeout(() => c.kill("SIGKILL"), 15_000);
    await this.#quantumdExit;
    clearTimeout(timer);
  }

  /** SIGSTOP quantumd: it keeps its sockets but answers nothing (a hung driver). */
  freezeQuantumd(): void {
    this.#quantumd?.kill("SIGSTOP");
  }

  /** SIGKILL quantumd (by its pid; frozen or not) and wait for it. */
  async killQuantumd(): Promise<void> {
    const c = this.#quantumd;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    c.kill("SIGKILL");
    await this.#quantumdExit;
  }

  get quantumdRunning(): boolean {
    const c = this.#quantumd;
    return !!c && c.exitCode === null && c.signalCode === null;
  }

  async startDockerd(): Promise<void> {
    if (this.o.ownBridge && !existsSync(BR_NETFILTER)) {
      // dockerd would `modprobe br_netfilter`: a module load changes bridging for the whole machine.
      throw new Error(`${BR_NETFILTER} is missing (br_netfilter not loaded): refusing to let dockerd load it`);
    }
    const path = `${join(DOCKER_ROOT, "usr/bin")}:${join(DOCKER_ROOT, "usr/sbin")}:/usr/sbin:/usr/bin:/sbin:/bin`;
    const child = spawn(
      "nsenter",
      [
        ...this.#enter(),
        "env",
        `PATH=${path}`,
        DOCKERD_BIN,
        "--config-file",
        join(this.root, "daemon.json"),
        "--data-root",
        join(this.root, "data"),
        "--exec-root",
        join(this.root, "exec"),
        "--pidfile",
        join(this.root, "docker.pid"),
        "-H",
        `unix://${this.apiSocket}`,
        ...(this.o.ownBridge
          ? [`--bip=${this.o.ownBridge}`, "--iptables=true", "--ip-masq=true", "--ip-forward=true"]
          : ["--iptables=false", "--ip6tables=false", "--ip-masq=false", "--ip-forward=false", "--bridge=none"]),
        "--exec-opt",
        "native.cgroupdriver=cgroupfs",
        `--cgroup-parent=/${this.cgroupParent}`,
        "--default-ulimit",
        "nofile=1024:1024",
        "--storage-driver",
        "overlay2",
        "--userland-proxy=false",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    this.#dockerd = child;
    const collect = (b: Buffer) => {
      this.dockerdLog += b.toString();
    };
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    this.#dockerdExit = new Promise((r) => child.once("exit", () => r()));
    const deadline = Date.now() + 60_000;
    while (!this.dockerdLog.includes("API listen on")) {
      if (child.exitCode !== null) throw new Error(`dockerd exited: ${this.dockerdLog.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`dockerd not ready: ${this.dockerdLog.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGTERM dockerd (it stops its containers and releases their endpoints) and start it again. */
  async restartDockerd(): Promise<void> {
    const c = this.#dockerd;
    if (c && c.exitCode === null && c.signalCode === null) {
      c.kill("SIGTERM");
      const timer = setTimeout(() => c.kill("SIGKILL"), 30_000);
      await this.#dockerdExit;
      clearTimeout(timer);
    }
    this.dockerdLog = "";
    await this.startDockerd();
  }

  /** `docker <args>` against our dockerd (the client needs no namespace: the API socket is a path). */
  docker(args: string[], input?: string): Promise<ProcessRun> {
    return runProcess(DOCKER_BIN, ["-H", `unix://${this.apiSocket}`, ...args], {
      env: { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", HOME: this.root },
      ...(input !== undefined ? { input } : {}),
    });
  }

  /** docker, failing with its own words unless it exits 0; returns stdout trimmed. */
  async must(args: string[]): Promise<string> {
    const r = await this.docker(args);
    if (r.code !== 0) throw new Error(`docker ${args.join(" ")}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r.stdout.trim();
  }

  /** A static busybox rootfs, imported as IMAGE through `tar | docker import`. */
  async importImage(busybox: string, applets: string[]): Promise<void> {
    const rootfs = join(this.root, "rootfs");
    mkdirSync(join(rootfs, "bin"), { recursive: true });
    writeFileSync(join(rootfs, "bin", "busybox"), readFileSync(busybox), { mode: 0o755 });
    for (const a of applets) if (a && a !== "busybox") symlinkSync("busybox", join(rootfs, "bin", a));
    for (const d of ["etc", "proc", "sys", "dev", "tmp", "run"]) mkdirSync(join(rootfs, d), { recursive: true });
    const tar = join(this.root, "rootfs.tar");
    const t = await runProcess("tar", ["-C", rootfs, "-cf", tar, "."]);
    if (t.code !== 0) throw new Error(`tar rootfs: ${t.stderr}`);
    await this.must(["import", tar, IMAGE]);
  }

  /** The container's pid (its netns is /proc/<pid>/ns/net). */
  async pidOf(name: string): Promise<number> {
    return Number(await this.must(["inspect", "--format", "{{.State.Pid}}", name]));
  }

  /** quantumd's debug trace: [method, request, answer] per Docker call, across restarts. */
  calls(): { method: string; request: unknown; answer: unknown }[] {
    const out: { method: string; request: unknown; answer: unknown }[] = [];
    for (const log of this.quantumdLogs) {
      for (const line of log.split("\n")) {
        if (!line.includes('"docker call"')) continue;
        try {
          const j = JSON.parse(line) as { method: string; request: unknown; answer: unknown };
          out.push({ method: j.method, request: j.request, answer: j.answer });
        } catch {
          // a line cut by the exit
        }
      }
    }
    return out;
  }

  mntnsPids(): number[] {
    return pidsInMountNamespace(this.#mntns);
  }

  leftovers(): string[] {
    const out: string[] = [];
    for (const p of this.mntnsPids()) out.push(`process ${p}`);
    for (const d of cgroupDirs(`/${this.cgroupParent}`)) out.push(`cgroup ${d}`);
    for (const m of mountsBelow(this.root)) out.push(`mount ${m}`);
    if (existsSync(this.root)) out.push(`dir ${this.root}`);
    if (existsSync(this.host.path)) out.push(`netns ${this.host.path}`);
    if (!this.#etcDockerBefore && existsSync(ETC_DOCKER)) out.push(`dir ${ETC_DOCKER} (made during the test)`);
    return out;
  }

  async cleanup(): Promise<void> {
    const steps = new CleanupSteps();
    const attempt = (fn: () => unknown) => steps.run(fn);
    const dockerUp = () => this.#dockerd && this.#dockerd.exitCode === null && this.#dockerd.signalCode === null;
    await attempt(async () => {
      if (!dockerUp()) return;
      const ps = await this.docker(["ps", "-aq", "--no-trunc"]);
      const ids = ps.stdout.split("\n").filter((l) => /^[0-9a-f]{64}$/.test(l));
      if (ids.length > 0) await this.docker(["rm", "-f", ...ids]);
    });
    await attempt(async () => {
      if (!dockerUp()) return;
      const nets = await this.docker(["network", "ls", "--filter", `driver=${this.driver}`, "-q"]);
      const ids = nets.stdout.split("\n").filter(Boolean);
      if (ids.length > 0) await this.docker(["network", "rm", ...ids]);
    });
    await attempt(async () => {
      const c = this.#dockerd;
      if (!c || !dockerUp()) return;
      c.kill("SIGTERM");
      const timer = setTimeout(() => c.kill("SIGKILL"), 20_000);
      await this.#dockerdExit;
      clearTimeout(timer);
    });
    await attempt(() => this.stopQuantumd());
    await attempt(async () => {
      // containerd, shims, containers and the holder: ours by construction (our mount namespace or cgroups).
      const deadline = Date.now() + 10_000;
      for (;;) {
        const pids = [...new Set([...this.mntnsPids(), ...cgroupPids(`/${this.cgroupParent}`)])];
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
      for (const d of cgroupDirs(`/${this.cgroupParent}`)) rmdirSync(d);
    });
    await attempt(() => deleteTestNetns(this.host));
    await attempt(() => rmSync(this.root, { recursive: true, force: true }));
    steps.finish();
  }
}
