// What one worker thread owns: a CniCommands (its stores and kernel sockets, kept warm across
// requests), and the extra pieces the daemon adds around it: the DEL fast path, network notes for
// reconcile, and reconcile itself. Every call here is synchronous kernel/SQLite work or awaits only
// delegated plugin processes, which is why it runs off the daemon's event loop.
import { existsSync } from "node:fs";
import { CniCommands } from "../manager/cni-commands.js";
import { DEFAULT_DATA_DIR } from "../manager/network-spec.js";
import type { ReconcileReport } from "../manager/reconcile-report.js";
import { cniMain } from "../plugin/cni-main.js";
import { createDirectHandlers } from "../plugin/direct-handlers.js";
import type { PluginHandlers, PluginRequest } from "../plugin/handlers.js";
import type { CniAnswer } from "./protocol.js";
import type { NetworkStats } from "./worker-messages.js";

export interface EngineOptions {
  /** Our nftables table (default "quantum"). */
  firewallTable?: string;
  /** Answer DEL before deleting the link (default true). */
  fastDel?: boolean;
  /** With fastDel: also release the firewall elements and addresses after answering (default false). */
  deferRelease?: boolean;
  /** The daemon's environment, under the request's CNI_* variables (delegated plugins inherit both). */
  baseEnv?: Record<string, string | undefined>;
}

export interface EngineAnswer {
  answer: CniAnswer;
  /** Work left after answering (the DEL fast path's link deletion). */
  after?: () => void;
  /** The data dir the request used, when it got that far. */
  dataDir?: string;
}

const ABOUT = "quantum: Quantum CNI plugin (quantumd)";

export class Engine {
  readonly #commands: CniCommands;
  readonly #opts: EngineOptions;
  readonly #noted = new Set<string>();

  constructor(opts: EngineOptions = {}) {
    this.#opts = opts;
    this.#commands = new CniCommands(opts.firewallTable ? { firewallTable: opts.firewallTable } : {});
  }

  close(): void {
    this.#commands.close();
  }

  /** Runs one CNI invocation exactly as direct mode would, with in-memory stdin/stdout/stderr. */
  async runCni(reqEnv: Record<string, string>, stdin: string): Promise<EngineAnswer> {
    const env: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(this.#opts.baseEnv ?? {})) if (!k.startsWith("CNI_")) env[k] = v;
    Object.assign(env, reqEnv);
    const direct = createDirectHandlers(this.#commands, env);
    const out: EngineAnswer = { answer: { exit: 0, stdout: "", stderr: "" } };
    const dataDirOf = (req: PluginRequest) => {
      out.dataDir = req.config.dataDir ?? DEFAULT_DATA_DIR;
      return out.dataDir;
    };
    const handlers: PluginHandlers = {
      add: async (req) => {
        const dataDir = dataDirOf(req);
        const result = await direct.add(req);
        this.#noteNetwork(dataDir, req);
        return result;
      },
      del: async (req) => {
        dataDirOf(req);
        if (this.#opts.fastDel !== false) {
          const after = this.#commands.delFast(
            { command: "DEL", env: req.env, rawEnv: env, config: req.config, stdin: req.stdin },
            this.#opts.deferRelease === true,
          );
          if (after) {
            out.after = after;
            return;
          }
        }
        return direct.del(req);
      },
      check: (req) => {
        dataDirOf(req);
        return direct.check(req);
      },
      gc: (req) => {
        dataDirOf(req);
        return direct.gc(req);
      },
      status: (req) => {
        dataDirOf(req);
        return direct.status(req);
      },
    };
    const stdout: string[] = [];
    const stderr: string[] = [];
    const exit = await cniMain(
      handlers,
      { env, stdin: Buffer.from(stdin), stdout: (s) => void stdout.push(s), stderr: (s) => void stderr.push(s) },
      { about: ABOUT },
    );
    out.answer = { exit, stdout: stdout.join(""), stderr: stderr.join("") };
    return out;
  }

  /** Records the network's bridge once per worker, so reconcile can find ports left by a dead ADD. */
  #noteNetwork(dataDir: string, req: PluginRequest): void {
    const key = `${dataDir}\u0000${req.config.name}`;
    if (this.#noted.has(key)) return;
    try {
      this.#commands.noteNetwork(req.config);
      this.#noted.add(key);
    } catch {
      // Only a hint for reconcile: never fail an ADD over it.
    }
  }

  /** Attachments and reservations per network over the given data dirs (for metrics). */
  stats(dataDirs: readonly string[]): NetworkStats {
    const out: NetworkStats = {};
    for (const dir of dataDirs) {
      if (!existsSync(dir)) continue;
      for (const [network, n] of Object.entries(this.#commands.stats(dir))) {
        const sum = out[network] ?? { attachments: 0, reserved: 0 };
        sum.attachments += n.attachments;
        sum.reserved += n.reserved;
        for (const [ns, count] of Object.entries(n.namespaces)) {
          sum.namespaces ??= {};
          sum.namespaces[ns] = (sum.namespaces[ns] ?? 0) + count;
        }
        out[network] = sum;
      }
    }
    return out;
  }

  reconcile(dataDirs: readonly string[], graceMs: number): ReconcileReport[] {
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    const sleep = (ms: number) => void Atomics.wait(sleeper, 0, 0, ms);
    return dataDirs.map((dir) => {
      try {
        if (!existsSync(dir)) return emptyReport(dir, []);
        return this.#commands.reconcile(dir, graceMs, sleep);
      } catch (err) {
        return emptyReport(dir, [(err as Error).message]);
      }
    });
  }
}

function emptyReport(dataDir: string, errors: string[]): ReconcileReport {
  return {
    dataDir,
    pendingDeletions: 0,
    staleAttachments: 0,
    orphanReservations: 0,
    orphanLinks: 0,
    orphanElements: 0,
    items: [],
    errors,
  };
}
