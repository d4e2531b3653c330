// The composition root of the dataplane: the one place where a store, the allocator, the firewall
// (with its markers in that store), the drivers and the host's netlink are put together. Every
// caller (the CNI handlers, CniManager, VirtualNetworkManager, quantumctl, the daemon's workers)
// takes what this returns, so they cannot disagree on how a data dir is served.

import { statSync } from "node:fs";
import { join } from "node:path";
import { checkNetnsPath, NetnsNotFoundError, NotANetnsError, nftAvailable, Rtnl } from "../kernel/index.js";
import { DB_FILE_NAME, SqliteRegistryStore, SqliteStore, type Store } from "../store/index.js";
import { Dataplane } from "./dataplane.js";
import { type DriverTable, defaultDrivers } from "./drivers.js";
import { DEFAULT_TABLE, Firewall, storeMarkers } from "./firewall/index.js";
import { NetworkRegistry } from "./network-registry.js";
import type { FirewallPort, KernelPort } from "./ports.js";
import { detachWithoutStore } from "./storeless-detach.js";
import type { DetachRequest, NetworkSpec } from "./types.js";

/**
 * The registry's home: one fixed host path, independent of every network's data dir, persistent so
 * it still protects address space after a reboot (a dead entry never blocks: network-registry.ts).
 * QUANTUM_REGISTRY_DIR overrides it (tests); the daemon's workers and a direct-mode plugin read the
 * same variable, and the shim forwards the runtime's environment to neither, so both use the default.
 */
export const DEFAULT_REGISTRY_DIR = "/var/lib/quantum/registry";

export function registryDir(): string {
  return process.env["QUANTUM_REGISTRY_DIR"] || DEFAULT_REGISTRY_DIR;
}

let hostRegistry: NetworkRegistry | undefined;

/** The process's registry, opened on first claim (so DEL never depends on it). */
function sharedRegistry(): NetworkRegistry {
  hostRegistry ??= new NetworkRegistry(SqliteRegistryStore.open(registryDir()));
  return hostRegistry;
}

export interface DataplaneOptions {
  /** Our nftables table (default "quantum"). */
  firewallTable?: string;
  /** Test seams: a fake kernel, firewall or driver table instead of the real ones. */
  kernel?: KernelPort;
  firewall?: FirewallPort;
  drivers?: DriverTable;
  /** The network registry (default: the host's, unless the kernel is a fake one). */
  registry?: () => NetworkRegistry;
}

/** A store already open, instead of a data dir to open one in. */
export interface StoreSource {
  store: Store;
  /** Close the store with the dataplane (default false: the caller owns it). */
  ownsStore?: boolean;
  dataDir?: string;
}

/** The kernel as it is: rtnetlink through the addon, netns checks, nftables presence. */
export const hostKernel: KernelPort = {
  openHost: () => Rtnl.open(),
  openNetns: (path) => Rtnl.open(path),
  netnsGone(path) {
    try {
      checkNetnsPath(path);
      return false;
    } catch (err) {
      return err instanceof NetnsNotFoundError || err instanceof NotANetnsError;
    }
  },
  nftAvailable,
};

/**
 * Opens the dataplane of a data dir (creating its store when needed: one SQLite file, WAL, shared
 * by processes), or over a store already open.
 */
export function openDataplane(source: string | StoreSource, options: DataplaneOptions = {}): Dataplane {
  const given = typeof source === "string" ? undefined : source;
  const dataDir = typeof source === "string" ? source : source.dataDir;
  const store = given ? given.store : SqliteStore.open(source as string);
  const table = options.firewallTable ?? DEFAULT_TABLE;
  return new Dataplane({
    ...(dataDir !== undefined ? { dataDir } : {}),
    store,
    ownsStore: given ? given.ownsStore === true : true,
    firewall: options.firewall ?? new Firewall({ table, markers: storeMarkers(store, table) }),
    kernel: options.kernel ?? hostKernel,
    drivers: options.drivers ?? defaultDrivers,
    // A fake kernel is a fake host: registering its networks host-wide would be wrong.
    ...(options.registry ? { registry: options.registry } : options.kernel ? {} : { registry: sharedRegistry }),
  });
}

/** dev:ino of a data dir's store file, "" when there is none (one stat: cheap per request). */
function storeFileId(dataDir: string): string {
  try {
    const st = statSync(join(dataDir, DB_FILE_NAME));
    return `${st.dev}:${st.ino}`;
  } catch {
    return "";
  }
}

/** One dataplane per data dir, opened on first use and kept (the daemon's workers, the CNI handlers). */
export class Dataplanes {
  readonly #open = new Map<string, Dataplane>();
  /** The store file's identity (dev:ino) when its dataplane was opened. */
  readonly #files = new Map<string, string>();
  readonly #options: DataplaneOptions;

  constructor(options: DataplaneOptions = {}) {
    this.#options = options;
  }

  get(dataDir: string): Dataplane {
    let dp = this.#open.get(dataDir);
    const file = storeFileId(dataDir);
    // The store file was replaced under us (quantumctl store recover moved it aside, or an
    // operator deleted it): serve the new one, never keep writing to the old inode.
    if (dp && this.#files.get(dataDir) !== file) {
      dp.close();
      this.#open.delete(dataDir);
      dp = undefined;
    }
    if (!dp) {
      dp = openDataplane(dataDir, this.#options);
      this.#open.set(dataDir, dp);
      this.#files.set(dataDir, storeFileId(dataDir));
    }
    return dp;
  }

  /**
   * DEL without the store (it is damaged): the link and the firewall elements, from the kernel
   * and the prevResult's addresses (storeless-detach.ts).
   */
  detachWithoutStore(spec: NetworkSpec, req: DetachRequest, knownIps: readonly string[]): void {
    const o = this.#options;
    const kernel = o.kernel ?? hostKernel;
    // No markers: they live in the store this DEL cannot use.
    const firewall = o.firewall ?? new Firewall({ table: o.firewallTable ?? DEFAULT_TABLE });
    detachWithoutStore({ kernel, firewall, drivers: o.drivers ?? defaultDrivers }, spec, req, knownIps);
  }

  /** The data dirs opened so far. */
  dataDirs(): string[] {
    return [...this.#open.keys()];
  }

  close(): void {
    for (const dp of this.#open.values()) dp.close();
    this.#open.clear();
  }
}
