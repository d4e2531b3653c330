// env.js, not the cni/ index: the daemon's event loop loads this file (through cni-config.ts) and
// must stay light.
import { hasControlCharacter } from "../cni/env.js";

// The paths a config may name (dataDir, socketPath): absolute, already normalised, no "..", no
// control characters, within what the kernel takes. A relative path would resolve against each
// process's own working directory, so the daemon and a direct-mode plugin would open different
// stores for one network; "/" would put a store at the filesystem root.

/** PATH_MAX - 1, less room for the store's own file names ("/quantum.db-journal"). */
export const MAX_DATA_DIR_BYTES = 4000;
/** sizeof(sun_path) - 1 on Linux: the socket path and its terminating NUL must fit 108 bytes. */
export const MAX_SOCKET_PATH_BYTES = 107;

/** A reason why `path` is not an acceptable absolute path of at most `maxBytes`, or undefined. */
export function absolutePathProblem(path: string, maxBytes: number): string | undefined {
  if (Buffer.byteLength(path, "utf8") > maxBytes) return `is too long (at most ${maxBytes} bytes)`;
  if (hasControlCharacter(path)) return "contains control characters";
  if (!path.startsWith("/")) return "is not an absolute path";
  const segments = path.split("/").slice(1);
  if (segments.includes("..")) return 'must not contain ".."';
  if (path === "/") return "must not be the filesystem root";
  if (segments.some((s) => s === "" || s === ".")) return 'is not normalised (no "//", "/./" or trailing "/")';
  return undefined;
}
