// What one worker thread owns: a CniCommands (its stores and kernel sockets, kept warm across
// requests), and the extra pieces the daemon adds around it: the DEL fast path, network notes for
// reconcile, and reconcile itself. Every call here is synchronous kernel/SQLite work or awaits only
// delegated plugin processes, which is why it runs off the daemon's event loop.
import { existsSync } from "node:fs";
import { Rtnl } from "../kernel/index.js";
import { CniCommands } from "../manager/cni-commands.js";
import { DEFAULT_DATA_DIR, specFromConfig } from "../manager/network-spec.js";
import { Firewall } from "../network/firewall/index.js";
import { cniMain } from "../plugin/cni-main.js";
import { createDirectHandlers } from "../plugin/direct-handlers.js";
import type { PluginHandlers, PluginRequest } from "../plugin/handlers.js";
import { SqliteStore } from "../store/index.js";
import { fastDel, fastDelApplies } from "./del-fast-path.js";
import type { CniAnswer } from "./protocol.js";
import { type NetworkNote, reconcileStore } from "./reconcile.js";
import type { ReconcileReport } from "./reconcile-report.js";
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
  readonly #stores = new Map<string, SqliteStore>();
  readonly #firewall: Firewall;
  readonly #noted = new Set<string>();
  #host: Rtnl | undefined;

  constructor(opts: EngineOptions = {}) {
    this.#opts = opts;
    this.#commands = new CniCommands(opts.firewallTable ? { firewallTable: opts.firewallTable } : {});
    this.#firewall = new Firewall(opts.firewallTable ? { table: opts.firewallTable } : {});
  }

  close(): void {
    this.#commands.close();
    for (const s of this.#stores.values()) s.close();
    this.#stores.clear();
    this.#host?.close();
    this.#host = undefined;
  }

  #hostRtnl = (): Rtnl => {
    this.#host ??= Rtnl.open();
    return this.#host;
  };

  #store(dataDir: string): SqliteStore {
    let s = this.#stores.get(dataDir);
    if (!s) {
      s = SqliteStore.open(dataDir);
      this.#stores.set(dataDir, s);
    }
    return s;
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
        const dataDir = dataDirOf(req);
        if (this.#opts.fastDel !== false && fastDelApplies(req.config, req.env)) {
          const deps = { store: this.#store(dataDir), firewall: this.#firewall, hostRtnl: this.#hostRtnl };
          const after = fastDel(deps, req.config, req.env, this.#opts.deferRelease === true);
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
      const store = this.#store(dataDir);
      if (!store.getNetwork(req.config.name)) {
        const spec = specFromConfig(req.config);
        const note: NetworkNote = { source: "quantumd", id: spec.id, driver: spec.driver, bridge: spec.bridge };
        store.putNetwork({ name: spec.name, spec: note });
      }
      this.#noted.add(key);
    } catch {
      // Only a hint for reconcile; the ADD itself succeeded.
    }
  }

  /** Attachments and reservations per network over the given data dirs (for metrics). */
  stats(dataDirs: readonly string[]): NetworkStats {
    const out: NetworkStats = {};
    for (const dir of dataDirs) {
      if (!existsSync(dir)) continue;
      const store = this.#store(dir);
      const of = (network: string) => {
        out[network] ??= { attachments: 0, reserved: 0 };
        return out[network];
      };
      for (const n of store.listNetworks()) of(n.name);
      for (const a of store.listAttachments()) of(a.network).attachments++;
      for (const r of store.listReservations()) of(r.network).reserved++;
    }
    return out;
  }

  reconcile(dataDirs: readonly string[], graceMs: number): ReconcileReport[] {
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    const deps = {
      firewall: this.#firewall,
      host: this.#hostRtnl(),
      graceMs,
      sleep: (ms: number) => void Atomics.wait(sleeper, 0, 0, ms),
    };
    return dataDirs.map((dir) => {
      try {
        if (!existsSync(dir)) return emptyReport(dir, []);
        return reconcileStore({ ...deps, store: this.#store(dir) }, dir);
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
