// Network namespace paths (/var/run/netns/NAME, /proc/PID/ns/net): checking them and opening
// them as fds for IFLA_NET_NS_FD. Errors tell "missing" (DEL may treat it as done) apart from
// "not a netns" (a caller bug).
import { closeSync, openSync, statSync } from "node:fs";
import { addon } from "./addon.js";

export class NetnsNotFoundError extends Error {
  override name = "NetnsNotFoundError";
  constructor(
    readonly path: string,
    options?: ErrorOptions,
  ) {
    super(`netns "${path}" does not exist`, options);
  }
}

export class NotANetnsError extends Error {
  override name = "NotANetnsError";
  constructor(
    readonly path: string,
    options?: ErrorOptions,
  ) {
    super(`"${path}" is not a network namespace`, options);
  }
}

/**
 * @throws NetnsNotFoundError when nothing is at path (ENOENT, ENOTDIR)
 * @throws NotANetnsError when path exists but is not a network namespace
 */
export function checkNetnsPath(path: string): void {
  let ok: boolean;
  try {
    ok = addon().netnsCheck(path);
  } catch (e) {
    throw netnsError(e, path);
  }
  if (!ok) throw new NotANetnsError(path);
}

/** A checked read-only fd on the netns at path, for IFLA_NET_NS_FD. The caller closes it. */
export function openNetnsFd(path: string): number {
  checkNetnsPath(path);
  try {
    return openSync(path, "r");
  } catch (e) {
    throw netnsError(e, path);
  }
}

/** Runs fn with an fd on the netns at path and always closes the fd. */
export function withNetnsFd<T>(path: string, fn: (fd: number) => T): T {
  const fd = openNetnsFd(path);
  try {
    return fn(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Maps an errno from touching a netns path to the netns errors: ENOENT/ENOTDIR -> not found,
 * EINVAL (setns on something else) -> not a netns. Other errors pass through.
 */
export function netnsError(e: unknown, path: string): unknown {
  // Both the addon's errors and node:fs errors carry `code`.
  const code = e instanceof Error ? (e as { code?: unknown }).code : undefined;
  if (code === "ENOENT" || code === "ENOTDIR") return new NetnsNotFoundError(path, { cause: e });
  if (code === "EINVAL") return new NotANetnsError(path, { cause: e });
  return e;
}

/**
 * An identity of the calling thread's network namespace that no other namespace has while the
 * machine runs: "cookie:<SO_NETNS_COOKIE>". Where the kernel (< 5.14) or the addon cannot give a
 * cookie, "ino:<dev>:<inode>" of /proc/thread-self/ns/net, which a later namespace may reuse.
 */
export function currentNetnsId(): string {
  try {
    const cookie = addon().netnsCookie?.();
    if (cookie) return `cookie:${cookie}`;
  } catch {
    // No cookie here: fall back to the inode.
  }
  const st = statSync("/proc/thread-self/ns/net");
  return `ino:${st.dev}:${st.ino}`;
}
