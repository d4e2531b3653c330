// A daemon started by hand or by systemd (quantumd.service) that finds its socket held by a daemon
// the shim autostarted (e.g. a call landed in the gap of `systemctl restart quantumd`) takes the
// socket over instead of failing: it sends that daemon SIGUSR2 ("hand over"), on which the
// autostarted one closes and removes its socket at once and then finishes what it has in flight,
// still holding its autostart lock, so calls arriving meanwhile wait for a socket instead of
// starting a third daemon. Only a process whose command line says quantumd.js --lock-fd, on this
// very socket, is ever signalled.
import { existsSync, readFileSync } from "node:fs";

export interface TakeoverOptions {
  /** How long the autostarted daemon has to let go of the socket (default 10 s). */
  timeoutMs?: number;
}

/** The pid of the autostarted quantumd holding socketPath, from its lock file and /proc, or undefined. */
export function autostartedHolder(socketPath: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(`${socketPath}.lock`, "utf8");
  } catch {
    return undefined;
  }
  const m = /^(\d+) (?:starting|ready)\n?$/.exec(text);
  if (m === null) return undefined;
  const pid = Number(m[1]);
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return undefined; // gone
  }
  const socketArg = argv[argv.indexOf("--socket") + 1];
  const isOurs = argv.some((a) => a.endsWith("/quantumd.js")) && argv.includes("--lock-fd") && socketArg === socketPath;
  return isOurs ? pid : undefined;
}

/**
 * Asks the autostarted daemon on socketPath, if any, to hand the socket over, and waits until its
 * socket file is gone. @returns its pid, or undefined when there was none.
 * @throws Error naming the pid when it does not let go in time.
 */
export async function takeOverFromAutostarted(
  socketPath: string,
  opts: TakeoverOptions = {},
): Promise<number | undefined> {
  const pid = autostartedHolder(socketPath);
  if (pid === undefined) return undefined;
  try {
    process.kill(pid, "SIGUSR2");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return undefined;
    throw new Error(`cannot ask the autostarted quantumd (pid ${pid}) to hand ${socketPath} over`, { cause: err });
  }
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  while (existsSync(socketPath) && autostartedHolder(socketPath) === pid) {
    if (Date.now() > deadline) {
      throw new Error(`the autostarted quantumd (pid ${pid}) did not hand ${socketPath} over in time`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return pid;
}
