// Typed loader for build/netlink.node (native/netlink.c). Loaded lazily, on first kernel use,
// so that pure code (encoders, unit tests) never needs the compiled addon.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The addon's functions. Every failure throws a {@link NativeError}. */
export interface NetlinkAddon {
  /** Opens a bound NETLINK_ROUTE socket, inside the netns at netnsPath when given. */
  openSocket(netnsPath?: string | null): number;
  closeSocket(fd: number): void;
  /** Sends one message (NLM_F_ACK or a dump) and returns every reply before NLMSG_DONE / the ACK. */
  request(fd: number, message: Buffer): Buffer[];
  /** true: a network namespace; false: exists but is not one. Throws (ENOENT...) when statfs fails. */
  netnsCheck(path: string): boolean;
  /**
   * SO_NETNS_COOKIE of the calling thread's netns (decimal): never reused while the machine runs.
   * Absent in an addon built before it; throws ENOPROTOOPT on kernels before 5.14.
   */
  netnsCookie?(): string;
  /** Raw contents of /proc/sys/<key>, opened inside the netns at netnsPath (null: the caller's). */
  sysctlRead(netnsPath: string | null, key: string): string;
  sysctlWrite(netnsPath: string | null, key: string, value: string): void;
}

/** What the addon throws: an Error with the C errno (positive) and where it came from. */
export interface NativeError extends Error {
  errno: number;
  code: string;
  /** "open", "setns", "socket", "netlink" (an error the kernel answered with)... */
  syscall: string;
  /** The kernel's extended-ack text, when it sent one. */
  kernelMessage?: string;
}

export function isNativeError(e: unknown): e is NativeError {
  return e instanceof Error && typeof (e as Partial<NativeError>).errno === "number" && "syscall" in e;
}

let loaded: NetlinkAddon | undefined;

/**
 * The addon, loaded on first use. QUANTUM_NETLINK_ADDON may point at another build;
 * otherwise build/netlink.node is found from the package root (this file lives under
 * src/kernel/ or dist/src/kernel/).
 */
export function addon(): NetlinkAddon {
  if (loaded) return loaded;
  const path = process.env["QUANTUM_NETLINK_ADDON"] ?? findAddon();
  loaded = createRequire(import.meta.url)(path) as NetlinkAddon;
  return loaded;
}

function findAddon(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) {
      const file = join(dir, "build", "netlink.node");
      if (existsSync(file)) return file;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error("build/netlink.node not found above src/kernel: run `npm run build:native`");
}
