/**
 * Finding the quantumd processes a test made the shim (or systemd-socket-activate) start: by their
 * command line, `quantumd.js ... --socket <the test's socket>`, so a leaked daemon is always seen
 * and can be killed by pid. Plus a small poll helper.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Pids of the quantumd processes serving `socket`. */
export function daemonsOn(socket: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
    } catch {
      continue; // exited meanwhile
    }
    const i = argv.indexOf("--socket");
    if (argv.some((a) => a.endsWith("/quantumd.js")) && i >= 0 && argv[i + 1] === socket) pids.push(Number(name));
  }
  return pids;
}

/** True while pid runs (a zombie does not count). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  } catch {
    return false;
  }
}

/** Polls ok() every 25 ms; throws naming `what` after timeoutMs. */
export async function until(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** SIGKILLs every daemon on these sockets and waits (bounded) until they are gone. */
export async function killDaemons(sockets: string[]): Promise<void> {
  const pids = sockets.flatMap(daemonsOn);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // exited meanwhile
    }
  }
  await until("the test's daemons to die", () => pids.every((p) => !alive(p)), 10_000);
}
