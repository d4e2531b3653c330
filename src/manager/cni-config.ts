// CniConfig: where Quantum CNI keeps things on a host. Plain values with documented defaults;
// CniConfig.default() also honours QUANTUM_* environment variables so tools and tests can point
// a whole process at other directories without code changes.
// This module stays light (no dataplane imports): the daemon's event-loop thread reads its defaults.
import { isAbsolute, resolve } from "node:path";
import { absolutePathProblem, MAX_DATA_DIR_BYTES, MAX_SOCKET_PATH_BYTES } from "./path-validation.js";

/** Defaults of a production install. */
export const DEFAULT_CONFIG_PATH = "/etc/cni/net.d";
export const DEFAULT_PLUGIN_PATH = "/opt/cni/bin";
export const DEFAULT_SOCKET_PATH = "/run/quantum/quantum.sock";
/** Where the built-in store lives unless a config says `dataDir`. */
export const DEFAULT_DATA_DIR = "/var/lib/quantum";
export { DEFAULT_RECONCILE_GRACE_MS, DEFAULT_STALE_ATTACHMENT_GRACE_MS } from "../network/reconcile-report.js";

/** Environment variables CniConfig.default() reads (each overrides one default). */
export const CONFIG_ENV = {
  configPath: "QUANTUM_CONFIG_DIR",
  pluginPath: "QUANTUM_PLUGIN_DIR",
  socketPath: "QUANTUM_SOCKET",
  dataDir: "QUANTUM_DATA_DIR",
} as const;

export interface CniConfigOptions {
  /** Directory of network configs (`<name>.conflist`). Default `/etc/cni/net.d`. */
  configPath?: string;
  /** Directory runtimes search for plugin executables (CNI_PATH). Default `/opt/cni/bin`. */
  pluginPath?: string;
  /** quantumd's unix socket. Default `/run/quantum/quantum.sock`. */
  socketPath?: string;
  /** The store's directory (`quantum.db`). Default `/var/lib/quantum`. */
  dataDir?: string;
  /** nftables table of ours (family inet). Default "quantum". */
  firewallTable?: string;
}

export class CniConfig {
  readonly configPath: string;
  readonly pluginPath: string;
  readonly socketPath: string;
  readonly dataDir: string;
  readonly firewallTable: string;

  /** @throws TypeError when a path is empty, relative, too long, or has control characters. */
  constructor(options: CniConfigOptions = {}) {
    this.configPath = absolute("configPath", options.configPath ?? DEFAULT_CONFIG_PATH, MAX_DATA_DIR_BYTES);
    this.pluginPath = absolute("pluginPath", options.pluginPath ?? DEFAULT_PLUGIN_PATH, MAX_DATA_DIR_BYTES);
    this.socketPath = absolute("socketPath", options.socketPath ?? DEFAULT_SOCKET_PATH, MAX_SOCKET_PATH_BYTES);
    this.dataDir = absolute("dataDir", options.dataDir ?? DEFAULT_DATA_DIR, MAX_DATA_DIR_BYTES);
    this.firewallTable = options.firewallTable ?? "quantum";
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,31}$/.test(this.firewallTable)) {
      throw new TypeError(`invalid firewallTable ${JSON.stringify(this.firewallTable)}: want [A-Za-z_][A-Za-z0-9_]*`);
    }
  }

  /**
   * The defaults, each overridden by its environment variable when set and non-empty
   * (QUANTUM_CONFIG_DIR, QUANTUM_PLUGIN_DIR, QUANTUM_SOCKET, QUANTUM_DATA_DIR).
   * @param env default process.env
   */
  static default(env: Record<string, string | undefined> = process.env): CniConfig {
    const options: CniConfigOptions = {};
    for (const [key, name] of Object.entries(CONFIG_ENV) as [keyof typeof CONFIG_ENV, string][]) {
      const value = env[name];
      if (value) options[key] = value;
    }
    return new CniConfig(options);
  }

  /** A copy with some values replaced (undefined values keep the current one). */
  with(overrides: CniConfigOptions): CniConfig {
    const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
    return new CniConfig({ ...this.toJSON(), ...defined });
  }

  /** True when dataDir is not the built-in default (the conflist must then carry it). */
  get customDataDir(): boolean {
    return this.dataDir !== DEFAULT_DATA_DIR;
  }

  get customSocketPath(): boolean {
    return this.socketPath !== DEFAULT_SOCKET_PATH;
  }

  toJSON(): Required<CniConfigOptions> {
    return {
      configPath: this.configPath,
      pluginPath: this.pluginPath,
      socketPath: this.socketPath,
      dataDir: this.dataDir,
      firewallTable: this.firewallTable,
    };
  }
}

/** An absolute path, normalised; it must then pass what a conflist's own path must (path-validation.ts). */
function absolute(field: string, path: string, maxBytes: number): string {
  if (typeof path !== "string" || path === "") throw new TypeError(`invalid ${field}: empty path`);
  const shown = JSON.stringify(path.length > 120 ? `${path.slice(0, 117)}...` : path);
  if (!isAbsolute(path)) throw new TypeError(`invalid ${field} ${shown}: not an absolute path`);
  const normal = resolve(path);
  const problem = absolutePathProblem(normal, maxBytes);
  if (problem) throw new TypeError(`invalid ${field} ${shown}: ${problem}`);
  return normal;
}
