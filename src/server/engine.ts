// What one worker thread owns: a CniCommands (its dataplanes and kernel sockets, kept warm across
// requests) under the protocol's dispatcher, with the daemon's DEL fast path in front of DEL.
// Every call here is synchronous kernel/SQLite work or awaits only delegated plugin processes,
// which is why it runs off the daemon's event loop.
import { existsSync } from "node:fs";
import { cniRun, type PluginHandlers } from "../cni/index.js";
import { CniCommands, type DeferredLinkDeletion, type ReconcileReport } from "../manager/index.js";
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
  /** Work left after answering: the DEL fast path's link deletion, to batch with others (worker.ts). */
  deferred?: DeferredLinkDeletion;
  /** Every data dir this worker has served (reconcile and metrics cover them). */
  dataDirs: string[];
}

const ABOUT = "quantum: Quantum CNI plugin (quantumd)";

export class Engine {
  readonly #commands: CniCommands;
  readonly #opts: EngineOptions;

  constructor(opts: EngineOptions = {}) {
    this.#opts = opts;
    this.#commands = new CniCommands({
      ...(opts.firewallTable ? { firewallTable: opts.firewallTable } : {}),
      recordNetworks: true,
    });
  }

  close(): void {
    this.#commands.close();
  }

  /**
   * Truncates the write-ahead log of every store this worker serves. SQLite's own checkpoints
   * never shrink the log file, and a busy daemon's log once filled a small disk by itself.
   */
  checkpoint(): void {
    for (const dir of this.#commands.dataDirs()) {
      try {
        this.#commands.dataplane(dir).store.checkpoint?.();
      } catch {
        // A store that cannot be opened now (damaged, removed) is reported by its requests.
      }
    }
  }

  /** Runs one CNI invocation exactly as direct mode would, with in-memory stdin/stdout/stderr. */
  async runCni(reqEnv: Record<string, string>, stdin: string): Promise<EngineAnswer> {
    const env: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(this.#opts.baseEnv ?? {})) if (!k.startsWith("CNI_")) env[k] = v;
    Object.assign(env, reqEnv);
    const commands = this.#commands;
    let deferred: DeferredLinkDeletion | undefined;
    const handlers: PluginHandlers = {
      add: (req) => commands.add(req),
      del: async (req) => {
        if (this.#opts.fastDel !== false) {
          deferred = commands.delFast(req, this.#opts.deferRelease === true);
          if (deferred) return;
        }
        return commands.del(req);
      },
      check: (req) => commands.check(req),
      gc: (req) => commands.gc(req),
      status: (req) => commands.status(req),
    };
    const stdout: string[] = [];
    const stderr: string[] = [];
    const outcome = await cniRun(
      handlers,
      { env, stdin: Buffer.from(stdin), stdout: (s) => void stdout.push(s), stderr: (s) => void stderr.push(s) },
      { about: ABOUT },
    );
    return {
      answer: { exit: outcome.exitCode, code: outcome.code, stdout: stdout.join(""), stderr: stderr.join("") },
      ...(deferred ? { deferred } : {}),
      dataDirs: commands.dataDirs(),
    };
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

  reconcile(dataDirs: readonly string[], graceMs: number, staleGraceMs?: number): ReconcileReport[] {
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    const sleep = (ms: number) => void Atomics.wait(sleeper, 0, 0, ms);
    return dataDirs.map((dir) => {
      try {
        if (!existsSync(dir)) return emptyReport(dir, []);
        return this.#commands.reconcile(dir, graceMs, sleep, staleGraceMs);
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
