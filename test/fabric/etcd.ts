/**
 * A real 3-member etcd cluster for the fabric tests, from the binary scripts/install-etcd.sh
 * unpacked (no package installed, no service): member i runs inside node i's netns and listens only
 * on that netns' underlay address and loopback. Started and killed by pid; data in a temp dir.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { nsExec } from "../helpers/netns.js";
import type { Underlay } from "./underlay.js";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
export const etcdBin = join(repo, ".cache/etcd/usr/bin/etcd");
export const etcdctlBin = join(repo, ".cache/etcd/usr/bin/etcdctl");

/** Why the fabric tests cannot run here, or false. */
export const fabricSkip: string | false =
  process.getuid?.() !== 0
    ? "needs root (creates network namespaces)"
    : !existsSync(etcdBin)
      ? `etcd is not unpacked at ${etcdBin}: run scripts/install-etcd.sh`
      : false;

export class EtcdMembers {
  readonly dir: string;
  readonly token = `qfe${randomBytes(4).toString("hex")}`;
  readonly #procs = new Map<number, { child: ChildProcess; exited: Promise<void> }>();

  constructor(
    readonly ul: Underlay,
    /** Node numbers hosting a member. */
    readonly members: number[] = [1, 2, 3],
  ) {
    this.dir = mkdtempSync(join(tmpdir(), "qfetcd-"));
  }

  endpoint(i: number): string {
    return `http://${this.ul.ip(i)}:2379`;
  }

  /** Client URLs in the given member order (the order a node daemon tries them). */
  endpoints(order: number[] = this.members): string {
    return order.map((i) => this.endpoint(i)).join(",");
  }

  start(i: number): void {
    if (this.#procs.has(i)) throw new Error(`etcd member ${i} is already running`);
    const ip = this.ul.ip(i);
    const data = join(this.dir, `m${i}`);
    mkdirSync(data, { recursive: true });
    const cluster = this.members.map((m) => `${this.token}-${m}=http://${this.ul.ip(m)}:2380`).join(",");
    const log = openSync(join(this.dir, `m${i}.log`), "a");
    const child = spawn(
      "nsenter",
      [
        `--net=${this.ul.node(i).path}`,
        etcdBin,
        "--name",
        `${this.token}-${i}`,
        "--data-dir",
        join(data, "data"),
        "--listen-client-urls",
        `http://${ip}:2379,http://127.0.0.1:2379`,
        "--advertise-client-urls",
        `http://${ip}:2379`,
        "--listen-peer-urls",
        `http://${ip}:2380`,
        "--initial-advertise-peer-urls",
        `http://${ip}:2380`,
        "--initial-cluster",
        cluster,
        "--initial-cluster-token",
        this.token,
        "--initial-cluster-state",
        "new",
        // Clients ping every 5 s; allow down to 1 s so nothing gets "too many pings" (P3).
        "--grpc-keepalive-min-time",
        "1s",
        // A member coming back from a partition must not force an election on the healthy majority
        // (etcd 3.4 has pre-vote off by default; contrib/quantum-etcd.service turns it on too).
        "--pre-vote",
        "--logger",
        "zap",
        "--log-outputs",
        "stderr",
      ],
      { stdio: ["ignore", log, log] },
    );
    closeSync(log);
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    this.#procs.set(i, { child, exited });
  }

  startAll(): void {
    for (const i of this.members) this.start(i);
  }

  pid(i: number): number | undefined {
    return this.#procs.get(i)?.child.pid;
  }

  /** Signals member i by its pid and waits for it to exit (SIGTERM: up to 5 s, then SIGKILL: P6). */
  async stop(i: number, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const p = this.#procs.get(i);
    if (!p) return;
    this.#procs.delete(i);
    if (p.child.exitCode !== null || p.child.signalCode !== null) return;
    p.child.kill(signal);
    const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 5000).unref());
    if ((await Promise.race([p.exited, timeout])) === "timeout") {
      p.child.kill("SIGKILL");
      await p.exited;
    }
  }

  /** `etcdctl` inside node `via`'s netns against the given members. */
  ctl(args: string[], via = this.members[0] ?? 1, members = this.members): string {
    return nsExec(this.ul.node(via).name, etcdctlBin, [
      "--endpoints",
      this.endpoints(members),
      "--dial-timeout",
      "2s",
      "--command-timeout",
      "3s",
      ...args,
    ]);
  }

  /** Waits until every running member reports healthy. */
  async waitHealthy(timeoutMs = 20_000, members = [...this.#procs.keys()]): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    for (;;) {
      try {
        this.ctl(["endpoint", "health"], members[0], members);
        return;
      } catch (e) {
        last = (e as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`etcd not healthy after ${timeoutMs} ms: ${last}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** The node number whose member is the leader now. */
  leader(): number {
    const out = JSON.parse(this.ctl(["endpoint", "status", "-w", "json"])) as {
      Endpoint: string;
      Status: { header: { member_id: number }; leader: number };
    }[];
    const l = out.find((s) => s.Status.header.member_id === s.Status.leader);
    if (!l) throw new Error(`no etcd leader: ${JSON.stringify(out)}`);
    const i = this.members.find((m) => l.Endpoint === this.endpoint(m));
    if (i === undefined) throw new Error(`leader endpoint ${l.Endpoint} is not ours`);
    return i;
  }

  async cleanup(): Promise<void> {
    await Promise.all([...this.#procs.keys()].map((i) => this.stop(i, "SIGTERM")));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
