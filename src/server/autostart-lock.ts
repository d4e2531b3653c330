// The lock file of a daemon started by the shim (native/shim/autostart.c): the daemon inherits it,
// flock'd, on --lock-fd and holds it for life, so no second daemon is started on its socket. Its
// text is "<pid> starting" until the daemon listens, then "<pid> ready": a shim that finds the lock
// free and the text still "starting" knows the last start failed and backs off.
import { fstatSync, ftruncateSync, readFileSync, writeSync } from "node:fs";

/**
 * Marks the daemon ready in its lock file.
 * @throws Error naming the fd when it is not an open regular file (a wrong --lock-fd).
 */
export function markLockReady(fd: number, pid: number = process.pid): void {
  try {
    if (!fstatSync(fd).isFile()) throw new Error("not a regular file");
    ftruncateSync(fd, 0);
    writeSync(fd, `${pid} ready\n`, 0);
  } catch (err) {
    throw new Error(`--lock-fd ${fd}: cannot mark the lock file ready: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Who holds the socket, when the shim started it: for the error of a daemon that finds its socket
 * taken (e.g. `systemctl restart quantumd` while a call autostarted one in the gap). "" otherwise.
 */
export function describeAutostartedHolder(socketPath: string): string {
  let text: string;
  try {
    text = readFileSync(`${socketPath}.lock`, "utf8");
  } catch {
    return "";
  }
  const m = /^(\d+) (starting|ready)\n?$/.exec(text);
  if (m === null) return "";
  return (
    ` (quantumd pid ${m[1]}, started on demand by the shim: it exits after its idle period; ` +
    `\`kill ${m[1]}\` stops it now, and contrib/quantumd.socket keeps the socket ours)`
  );
}
