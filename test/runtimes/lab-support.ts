// Pieces every runtime lab (podman, containerd, CRI, dockerd) needs in its after hook.
import { readdirSync, readlinkSync } from "node:fs";

/** Pids of every process in the mount namespace `mntns` (as /proc/PID/ns/mnt reads); [] when unknown. */
export function pidsInMountNamespace(mntns: string | undefined): number[] {
  if (!mntns) return [];
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/ns/mnt`) === mntns) out.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/**
 * Cleanup steps that must all run: each failure is kept, and the first one is thrown at the end,
 * so one failing step never leaves the others' state behind.
 */
export class CleanupSteps {
  readonly #errors: unknown[] = [];

  async run(fn: () => unknown): Promise<void> {
    try {
      await fn();
    } catch (e) {
      this.#errors.push(e);
    }
  }

  /** @throws the first failure, if any */
  finish(): void {
    if (this.#errors.length > 0) throw this.#errors[0];
  }
}
