// What every quantumctl command shares: the global options turned into a CniConfig, the manager
// and store opened on demand, and output helpers (JSON or aligned text).
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { CniConfig } from "../../manager/cni-config.js";
import { CniManager } from "../../manager/cni-manager.js";
import { type Dataplane, openDataplane } from "../../network/index.js";
import { DB_FILE_NAME } from "../../store/index.js";

/** A failure to report without a stack: message on stderr, exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}

export interface GlobalOptions {
  dataDir?: string;
  configDir?: string;
  pluginDir?: string;
  socket?: string;
}

export interface Output {
  out: (s: string) => void;
  err: (s: string) => void;
}

export class Context {
  readonly config: CniConfig;
  readonly io: Output;
  #manager: CniManager | undefined;

  constructor(globals: GlobalOptions, io: Output, env: Record<string, string | undefined> = process.env) {
    this.config = CniConfig.default(env).with({
      dataDir: globals.dataDir,
      configPath: globals.configDir,
      pluginPath: globals.pluginDir,
      socketPath: globals.socket,
    });
    this.io = io;
  }

  static of(cmd: Command, io: Output): Context {
    return new Context(cmd.optsWithGlobals() as GlobalOptions, io);
  }

  /** The manager (store opened, directories created on first use by write commands). */
  get manager(): CniManager {
    this.#manager ??= new CniManager(this.config);
    return this.#manager;
  }

  /** True when the store file exists: read commands then need not create anything. */
  get hasStore(): boolean {
    return existsSync(join(this.config.dataDir, DB_FILE_NAME));
  }

  /**
   * The data dir's dataplane (store, firewall, host netlink: the same composition as the plugin's),
   * or undefined when no store exists yet: read commands then report nothing instead of creating
   * one. Caller closes.
   */
  openDataplaneIfPresent(): Dataplane | undefined {
    return this.hasStore ? openDataplane(this.config.dataDir, { firewallTable: this.config.firewallTable }) : undefined;
  }

  close(): void {
    this.#manager?.close();
  }

  json(value: unknown): void {
    this.io.out(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Prints rows as aligned columns under a header; "(none)" when empty. */
  table(header: string[], rows: string[][]): void {
    if (rows.length === 0) {
      this.io.out("(none)\n");
      return;
    }
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
    const line = (cells: string[]) =>
      cells
        .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
        .join("  ")
        .trimEnd();
    this.io.out(`${[line(header), ...rows.map(line)].join("\n")}\n`);
  }
}

/** Collects a repeatable option's values. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
