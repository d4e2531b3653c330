/**
 * Runs bin/quantumctl as an operator would, inside a lab's private "host" netns (nsenter), with
 * every directory pointed at the lab's temp dirs: nothing on this machine's /etc/cni, /opt/cni,
 * /var/lib/quantum or /run/quantum is ever read or written.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Lab } from "../dataplane/fixture.js";
import { type ProcessRun, runProcess } from "../helpers/process.js";
import { testRegistryDir } from "../helpers/registry.js";

export const quantumctlBin = fileURLToPath(new URL("../../../bin/quantumctl", import.meta.url));

/** stdout JSON may be any shape (lists, reports): callers cast it. */
export type CtlRun = Omit<ProcessRun, "json"> & { json: unknown };

/** A Lab plus temp config/plugin dirs and a socket path nobody listens on. */
export class CtlLab extends Lab {
  readonly root: string;
  readonly configDir: string;
  readonly pluginDir: string;
  readonly socket: string;

  constructor() {
    super();
    this.root = mkdtempSync(join(tmpdir(), "qctl-"));
    this.configDir = join(this.root, "net.d");
    this.pluginDir = join(this.root, "bin");
    this.socket = join(this.root, "quantum.sock");
    mkdirSync(this.configDir);
  }

  /** The QUANTUM_* variables that point CniConfig.default() at this lab. */
  get env(): Record<string, string> {
    return {
      QUANTUM_CONFIG_DIR: this.configDir,
      QUANTUM_PLUGIN_DIR: this.pluginDir,
      QUANTUM_DATA_DIR: this.dataDir,
      QUANTUM_SOCKET: this.socket,
      // The shim must not start a daemon of its own on the lab's socket.
      QUANTUM_AUTOSTART: "0",
      QUANTUM_REGISTRY_DIR: testRegistryDir(),
    };
  }

  /** quantumctl with the global options set to this lab, in the lab's host netns. */
  ctl(args: string[]): Promise<CtlRun> {
    const globals = [
      "--data-dir",
      this.dataDir,
      "--config-dir",
      this.configDir,
      "--plugin-dir",
      this.pluginDir,
      "--socket",
      this.socket,
    ];
    return this.inHost(quantumctlBin, [...globals, ...args]);
  }

  /** Runs an executable inside the lab's host netns with the lab's QUANTUM_* environment. */
  inHost(cmd: string, args: string[], extraEnv: Record<string, string> = {}): Promise<CtlRun> {
    const env = { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", ...this.env, ...extraEnv };
    return runProcess("nsenter", [`--net=${this.host.path}`, cmd, ...args], { env });
  }

  override cleanup(): void {
    try {
      super.cleanup();
    } finally {
      rmSync(this.root, { recursive: true, force: true });
    }
  }
}

/** Fails with quantumctl's own words unless it exited 0. */
export function ok(run: CtlRun, what: string): CtlRun {
  if (run.code !== 0) throw new Error(`${what}: exit ${run.code}\n${run.stdout}\n${run.stderr}`);
  return run;
}
