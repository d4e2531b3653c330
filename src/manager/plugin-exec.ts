import { spawn } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { join } from "node:path";

/** Failure of a delegated plugin: its CNI error JSON when it printed one, else its exit status. */
export class DelegateError extends Error {
  constructor(
    readonly plugin: string,
    readonly command: string,
    readonly code: number,
    readonly msg: string,
    readonly details?: string,
  ) {
    super(`${plugin} ${command}: ${msg}${details ? ` (${details})` : ""}`);
    this.name = "DelegateError";
  }
}

/** libcni's lookup: `type` has no path separator; the first regular executable file in CNI_PATH order wins. */
export function findPlugin(type: string, cniPath: string[]): string {
  if (type.includes("/") || type === "." || type === "..") {
    throw new Error(`plugin type "${type}" must be a plain name, not a path`);
  }
  for (const dir of cniPath) {
    if (!dir) continue;
    const candidate = join(dir, type);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here: try the next directory
    }
  }
  throw new Error(`plugin "${type}" not found in CNI_PATH (${cniPath.join(":") || "empty"})`);
}

/**
 * Runs a delegate exactly as a runtime would: the same environment with CNI_COMMAND replaced, the
 * full stdin config, its stderr passed through to ours. Resolves with its stdout on exit 0.
 */
export function execPlugin(
  path: string,
  command: string,
  env: Record<string, string | undefined>,
  stdin: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, [], {
      env: { ...env, CNI_COMMAND: command } as NodeJS.ProcessEnv,
      stdio: ["pipe", "pipe", "inherit"],
    });
    const out: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.on("error", (err) => reject(new DelegateError(path, command, 999, `cannot run: ${err.message}`)));
    child.on("close", (status, signal) => {
      const stdout = Buffer.concat(out).toString("utf8");
      if (status === 0) return resolve(stdout);
      let parsed: { code?: unknown; msg?: unknown; details?: unknown } = {};
      try {
        parsed = JSON.parse(stdout) as typeof parsed;
      } catch {
        // not JSON: report the exit status below
      }
      const code = typeof parsed.code === "number" ? parsed.code : 999;
      const msg =
        typeof parsed.msg === "string"
          ? parsed.msg
          : `exited with ${signal ?? status}${stdout ? `: ${stdout.trim()}` : ""}`;
      reject(
        new DelegateError(path, command, code, msg, typeof parsed.details === "string" ? parsed.details : undefined),
      );
    });
    child.stdin.on("error", () => {
      // the delegate may exit before reading stdin; its exit status tells what happened
    });
    child.stdin.end(stdin);
  });
}
