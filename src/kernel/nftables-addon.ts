// Typed loader for build/nftables.node (native/nftables.c): nft scripts run in-process through
// libnftables. Loaded lazily, on the first nft call; when it cannot be loaded (not built because
// libnftables-dev was missing, or libnftables.so.1 absent) nftables.ts execs `nft` instead.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface NftRunFlags {
  /** JSON output (`nft -j`); the script then runs as a command line, as `nft -j list ...` does. */
  json?: boolean;
  /** Dry run (`nft -c`): parsed and checked against the kernel, nothing committed. */
  check?: boolean;
}

export interface NftRunResult {
  ok: boolean;
  /** What nft prints on stdout (the JSON of a listing). */
  output: string;
  /** What nft prints on stderr: the same text as the CLI's, `/dev/stdin:LINE:COL` pointers included. */
  error: string;
}

/** The addon's functions; they run on the calling JS thread only (each worker loads its own instance). */
export interface NftablesAddon {
  /**
   * Runs a script in the netns at netnsPath (null: the caller's), with a context cached per path.
   * nft's own failures come back as `ok: false`; entering the netns or making a context throws an
   * Error with errno, code ("ENOENT", "EINVAL" for a path that is not a netns), syscall and path.
   */
  run(netnsPath: string | null, script: string, flags: NftRunFlags): NftRunResult;
  /** Frees the cached context of netnsPath (null: the caller's netns), or every one without argument. */
  release(netnsPath?: string | null): number;
  /** The netns paths this thread holds a context for ("" for its own netns). */
  cached(): string[];
}

let loaded: NftablesAddon | null | undefined;
let failure: unknown;

/**
 * The addon, or null when it cannot be loaded (see {@link nftablesAddonError}). Tried once per
 * thread. QUANTUM_NFTABLES_ADDON may point at another build; otherwise build/nftables.node is
 * found from the package root (this file lives under src/kernel/ or dist/src/kernel/).
 */
export function nftablesAddon(): NftablesAddon | null {
  if (loaded !== undefined) return loaded;
  try {
    const path = process.env["QUANTUM_NFTABLES_ADDON"] ?? findAddon();
    loaded = createRequire(import.meta.url)(path) as NftablesAddon;
  } catch (err) {
    failure = err;
    loaded = null;
  }
  return loaded;
}

/** Why {@link nftablesAddon} returned null (undefined when it loaded or was not tried yet). */
export function nftablesAddonError(): unknown {
  return failure;
}

function findAddon(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) {
      const file = join(dir, "build", "nftables.node");
      if (existsSync(file)) return file;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error("build/nftables.node not found above src/kernel: run `npm run build:native` (needs libnftables-dev)");
}
