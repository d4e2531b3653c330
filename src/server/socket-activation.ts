// systemd socket activation (sd_listen_fds(3)): when LISTEN_PID is this process and LISTEN_FDS is at
// least 1, the listening socket is fd 3. The variables are removed from process.env so that nothing
// the daemon starts (worker threads' env, delegated IPAM plugins) mistakes them for its own.

/** The first passed fd (SD_LISTEN_FDS_START). */
export const LISTEN_FDS_START = 3;

export interface ActivationEnv {
  LISTEN_PID?: string | undefined;
  LISTEN_FDS?: string | undefined;
  LISTEN_FDNAMES?: string | undefined;
}

/**
 * The listening fd systemd passed, or undefined when the daemon was not socket-activated. With
 * more than one fd only the first is used (the unit has one ListenStream).
 * @throws RangeError when the variables are meant for this process but LISTEN_FDS is not a number.
 */
export function activationFd(env: ActivationEnv = process.env, pid: number = process.pid): number | undefined {
  const forPid = env.LISTEN_PID;
  const fds = env.LISTEN_FDS;
  if (forPid === undefined || fds === undefined) return undefined;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  if (forPid !== String(pid)) return undefined;
  const n = Number(fds);
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`socket activation: LISTEN_FDS must be a count, got "${fds}"`);
  return n >= 1 ? LISTEN_FDS_START : undefined;
}
