// /proc/sys inside a netns. The addon opens the file while switched into the netns and switches
// back at once: an open /proc/sys/net file stays bound to the netns it was opened in.
import { addon } from "./addon.js";
import { toKernelError } from "./errors.js";
import { checkNetnsPath } from "./netns.js";

/** @throws RangeError for keys that are absolute, empty or climb out of /proc/sys. */
function checkKey(key: string): void {
  if (key === "" || key.startsWith("/") || key.split("/").some((p) => p === ".." || p === "") || key.includes("\0")) {
    throw new RangeError(`invalid sysctl key "${key}": expected a path under /proc/sys such as "net/ipv4/ip_forward"`);
  }
}

function where(key: string, netnsPath: string | undefined): string {
  return `sysctl ${key}${netnsPath === undefined ? "" : ` in ${netnsPath}`}`;
}

/**
 * Reads /proc/sys/<key> (trailing newline removed) in the netns at netnsPath, or the caller's.
 * @throws NetnsNotFoundError, NotANetnsError, KernelError (ENOENT for an unknown key)
 */
export function readSysctl(key: string, netnsPath?: string): string {
  checkKey(key);
  if (netnsPath !== undefined) checkNetnsPath(netnsPath);
  try {
    return addon()
      .sysctlRead(netnsPath ?? null, key)
      .replace(/\n$/, "");
  } catch (e) {
    throw toKernelError(e, "readSysctl", where(key, netnsPath));
  }
}

/**
 * Writes value to /proc/sys/<key> in the netns at netnsPath, or the caller's.
 * @throws NetnsNotFoundError, NotANetnsError, KernelError (EINVAL for a refused value)
 */
export function writeSysctl(key: string, value: string, netnsPath?: string): void {
  checkKey(key);
  if (netnsPath !== undefined) checkNetnsPath(netnsPath);
  try {
    addon().sysctlWrite(netnsPath ?? null, key, value);
  } catch (e) {
    throw toKernelError(e, "writeSysctl", where(key, netnsPath));
  }
}
