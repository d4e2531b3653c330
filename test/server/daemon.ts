/**
 * quantumd under test: always spawned INSIDE a private "host" netns (nsenter --net=...), with its
 * socket in a fresh temp dir (never /run/quantum), and always killed by its own pid in after hooks.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** bin/quantumd as shipped (it execs node, so the pid we get is the daemon's). */
export const quantumdBin = fileURLToPath(new URL("../../../bin/quantumd", import.meta.url));

export interface DaemonOptions {
  dataDirs?: string[];
  workers?: number;
  queueLimit?: number;
  maxBody?: number;
  allowUids?: number[];
  graceMs?: number;
  extraArgs?: string[];
  /** More nsenter options before the daemon, e.g. `--mount=/proc/PID/ns/mnt` (a runtime's mount namespace). */
  nsenterArgs?: string[];
  /** Extra environment for the daemon (tuning knobs such as QUANTUMD_REAP_IDLE_MS). */
  env?: Record<string, string>;
  /** Another build's bin/quantumd (the bench's baseline); default this tree's. */
  bin?: string;
  /** Run in this process's mount namespace too (a test's private one, e.g. a small tmpfs data dir). */
  mountNsOfPid?: number;
}

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export class TestDaemon {
  readonly dir: string;
  readonly socket: string;
  #child: ChildProcess | undefined;
  #exit: Promise<number | null> | undefined;
  log = "";

  constructor(
    readonly hostNetns: string,
    readonly opts: DaemonOptions = {},
  ) {
    this.dir = mkdtempSync(join(tmpdir(), "qsrv-"));
    chmodSync(this.dir, 0o755);
    this.socket = join(this.dir, "quantum.sock");
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Env for the shim so it talks to this daemon. */
  get env(): Record<string, string> {
    return { QUANTUM_SOCKET: this.socket };
  }

  async start(): Promise<void> {
    const o = this.opts;
    const args = [
      ...(o.mountNsOfPid ? [`--mount=/proc/${o.mountNsOfPid}/ns/mnt`] : []),
      `--net=/run/netns/${this.hostNetns}`,
      ...(o.nsenterArgs ?? []),
      o.bin ?? quantumdBin,
      "--socket",
      this.socket,
      "--reconcile-grace-ms",
      String(o.graceMs ?? 200),
      // Never the machine's /var/lib/quantum: without data dirs, reconcile an empty one of our own.
      ...(o.dataDirs && o.dataDirs.length > 0 ? o.dataDirs : [join(this.dir, "data")]).flatMap((d) => [
        "--data-dir",
        d,
      ]),
      ...(o.workers ? ["--workers", String(o.workers)] : []),
      ...(o.queueLimit !== undefined ? ["--queue-limit", String(o.queueLimit)] : []),
      ...(o.maxBody ? ["--max-body", String(o.maxBody)] : []),
      ...(o.allowUids ?? []).flatMap((u) => ["--allow-uid", String(u)]),
      ...(o.extraArgs ?? []),
    ];
    const env = { ...process.env, ...o.env };
    delete env["NODE_EXTRA_CA_CERTS"];
    // nsenter without --fork execs bin/quantumd, which execs node: the child's pid is the daemon's.
    const child = spawn("nsenter", args, { env, stdio: ["ignore", "ignore", "pipe"] });
    this.#child = child;
    child.stderr!.on("data", (b: Buffer) => {
      this.log += b.toString();
    });
    this.#exit = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`quantumd exited with ${child.exitCode}: ${this.log}`);
      try {
        const r = await this.http("GET", "/readyz");
        if (r.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`quantumd not ready after 30 s: ${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  http(method: string, path: string, body?: string | Buffer): Promise<HttpReply> {
    return new Promise((resolve, reject) => {
      const req = request({ socketPath: this.socket, method, path, timeout: 60_000, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
        res.on("error", reject);
      });
      req.on("error", (err: Error) => {
        const tail = this.log.split("\n").slice(-5).join("\n");
        reject(new Error(`${method} ${path}: ${err.message}; daemon log tail:\n${tail}`, { cause: err }));
      });
      req.end(body);
    });
  }

  /** Waits until the daemon's log matches (pino writes asynchronously). */
  async waitLog(re: RegExp, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!re.test(this.log)) {
      if (Date.now() > deadline) throw new Error(`daemon log never matched ${re}: ${this.log}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Waits until nothing runs or waits (the DEL fast path deletes links after answering). */
  async idle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.status();
      // pendingLinkDeletions: DELs answered whose link deletion waits to be batched.
      if (s["running"] === 0 && s["waiting"] === 0 && !s["pendingLinkDeletions"]) return;
      if (Date.now() > deadline) throw new Error(`daemon still busy after ${timeoutMs} ms: ${JSON.stringify(s)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async status(reset = false): Promise<Record<string, unknown>> {
    const r = await this.http("GET", `/v1/status${reset ? "?resetEventLoop=1" : ""}`);
    return JSON.parse(r.body) as Record<string, unknown>;
  }

  /** SIGTERM; resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (!this.#child || this.#child.exitCode !== null) return this.#child?.exitCode ?? null;
    this.#child.kill("SIGTERM");
    return this.#exit!;
  }

  /** SIGKILL by pid, wait for the exit. */
  async kill(): Promise<void> {
    if (!this.#child || this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.#child.kill("SIGKILL");
    await this.#exit;
  }

  async cleanup(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One request as the daemon's log records it. */
export interface DaemonRequest {
  command: string;
  containerId: string;
  code: number;
}

/** The daemon's "cni request" log lines (pino JSON). */
export function daemonRequests(log: string): DaemonRequest[] {
  const out: DaemonRequest[] = [];
  for (const line of log.split("\n")) {
    if (!line.includes('"cni request"')) continue;
    try {
      out.push(JSON.parse(line) as DaemonRequest);
    } catch {
      // a partial line
    }
  }
  return out;
}
