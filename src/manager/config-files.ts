// Files in the CNI config directory: the path of a network's conflist (which can never leave the
// directory), atomic writes (temp file + fsync + rename, mode 0644), and ownership: we overwrite or
// remove only files that carry our mark.
import { randomBytes } from "node:crypto";
import {
  closeSync,
  fchmodSync,
  fsyncSync,
  lstatSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { validateNetworkName } from "../network/index.js";
import { MANAGED_KEY } from "./conflist-generator.js";

/** A file at the target path that Quantum CNI did not write: never overwritten nor removed. */
export class ForeignConfigError extends Error {
  constructor(
    readonly path: string,
    why: string,
  ) {
    super(`refusing to touch "${path}": ${why}`);
    this.name = "ForeignConfigError";
  }
}

/**
 * `<configDir>/<name>.conflist`.
 * @throws InvalidNetworkError when name is not a valid network name; Error if the path would leave configDir.
 */
export function conflistPath(configDir: string, name: string): string {
  validateNetworkName(name);
  const dir = resolve(configDir);
  const path = join(dir, `${name}.conflist`);
  if (dirname(path) !== dir || basename(path) !== `${name}.conflist`) {
    throw new Error(`network name ${JSON.stringify(name)} would leave the config directory "${dir}"`);
  }
  return path;
}

/** What is at a config path. */
export type ConfigFileState =
  | { kind: "absent" }
  | { kind: "ours"; content: Record<string, unknown> }
  | { kind: "foreign"; why: string };

/** Looks at path without following a symlink: only a regular JSON file with our mark is ours. */
export function inspectConfigFile(path: string): ConfigFileState {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { kind: "absent" };
    throw err;
  }
  if (st.isSymbolicLink()) return { kind: "foreign", why: "it is a symbolic link" };
  if (!st.isFile()) return { kind: "foreign", why: "it is not a regular file" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return { kind: "foreign", why: "it is not JSON written by Quantum CNI" };
  }
  if (typeof parsed !== "object" || parsed === null || (parsed as Record<string, unknown>)[MANAGED_KEY] !== true) {
    return { kind: "foreign", why: `it was not written by Quantum CNI (no "${MANAGED_KEY}" mark)` };
  }
  return { kind: "ours", content: parsed as Record<string, unknown> };
}

/**
 * Writes content to path atomically: a temp file in the same directory, fsync, chmod, rename over
 * the target, fsync of the directory. A reader sees the old file or the new one, never a part.
 */
export function writeFileAtomic(path: string, content: string | Buffer, mode = 0o644): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    const fd = openSync(tmp, "wx", mode);
    try {
      writeSync(fd, typeof content === "string" ? Buffer.from(content) : content);
      // The process umask may have narrowed the mode given to open.
      fchmodSync(fd, mode);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // already renamed or never created
    }
    throw err;
  }
  syncDir(dir);
}

/** Removes path when it is ours. @returns false when absent. @throws ForeignConfigError */
export function removeOwnConfigFile(path: string): boolean {
  const state = inspectConfigFile(path);
  if (state.kind === "absent") return false;
  if (state.kind === "foreign") throw new ForeignConfigError(path, state.why);
  unlinkSync(path);
  syncDir(dirname(path));
  return true;
}

function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // some filesystems refuse fsync on a directory: the rename is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
