// CniManager: the host-level face of Quantum CNI. It owns the CNI config directory (generates,
// installs and uninstalls network conflists), the data dir's dataplane (its networks are the
// VirtualNetworkManager), and executes CNI commands through the protocol's dispatcher and
// CniCommands (the same code the plugin and the daemon run).
import { mkdirSync } from "node:fs";
import { type CniCommand, cniDispatch, type PluginHandlers, type Result, versionInfo } from "../cni/index.js";
import type { Network, VirtualNetworkManager } from "../network/index.js";
import { CniCommands } from "./cni-commands.js";
import { CniConfig } from "./cni-config.js";
import {
  conflistPath,
  ForeignConfigError,
  inspectConfigFile,
  removeOwnConfigFile,
  writeFileAtomic,
} from "./config-files.js";
import {
  type GenerateOptions,
  generateConflist,
  MANAGED_KEY,
  type NetworkConfigList,
  validateConflist,
} from "./conflist-generator.js";

/** Chained plugins and list flags for generateNetworkConfig (dataDir/socketPath come from the CniConfig). */
export type NetworkConfigOptions = Omit<GenerateOptions, "dataDir" | "socketPath">;

/** What VERSION answers. */
export interface VersionAnswer {
  cniVersion: string;
  supportedVersions: string[];
}

/** An installed conflist as found in the config directory. */
export interface InstalledConfig {
  name: string;
  path: string;
  /** Written by Quantum CNI (carries the mark); only those are replaced or removed. */
  managed: boolean;
  content?: Record<string, unknown>;
}

export class CniManager {
  readonly config: CniConfig;
  #commands: CniCommands | undefined;

  constructor(config: CniConfig = CniConfig.default()) {
    this.config = config;
  }

  /**
   * Creates the config directory (0755) and the data directory (0700) when missing and opens the
   * store. Idempotent. Does not create the plugin directory (see `quantumctl plugin install`).
   * @throws Error naming the directory or store that could not be prepared.
   */
  async init(): Promise<void> {
    this.#ensureConfigDir();
    this.networks;
  }

  /** The networks of this manager's data dir (its dataplane is opened on first use). */
  get networks(): VirtualNetworkManager {
    return this.commands.dataplane(this.config.dataDir).networks;
  }

  /** The executor of CNI commands (ADD/DEL/CHECK/GC/STATUS), with this config's data dir as default. */
  get commands(): CniCommands {
    this.#commands ??= new CniCommands({
      defaultDataDir: this.config.dataDir,
      firewallTable: this.config.firewallTable,
    });
    return this.#commands;
  }

  close(): void {
    this.#commands?.close();
    this.#commands = undefined;
  }

  /**
   * The conflist of a network: cniVersion 1.0.0 (what libcni < 1.2 uses as is) with cniVersions
   * offering 1.1.0 and the older ones, our plugin with the
   * network's settings, this manager's dataDir/socketPath when not the defaults, and optional
   * chained portmap/tuning/bandwidth entries.
   */
  generateNetworkConfig(network: Network, options: NetworkConfigOptions = {}): NetworkConfigList {
    return generateConflist(network, {
      ...options,
      ...(this.config.customDataDir ? { dataDir: this.config.dataDir } : {}),
      ...(this.config.customSocketPath ? { socketPath: this.config.socketPath } : {}),
    });
  }

  /** `<configPath>/<name>.conflist`. @throws InvalidNetworkError for a name that is not a network name. */
  configFilePath(name: string): string {
    return conflistPath(this.config.configPath, name);
  }

  /**
   * Validates conf and writes it to `<configPath>/<name>.conflist` atomically (mode 0644), marked
   * as ours. A file there that we did not write is never replaced.
   * @returns the path written
   * @throws CniError for an invalid conflist, InvalidNetworkError for a bad name,
   *   ForeignConfigError when the target exists and is not ours (nothing is written)
   */
  async installNetworkConfig(conf: NetworkConfigList | string): Promise<string> {
    const parsed = typeof conf === "string" ? (JSON.parse(conf) as NetworkConfigList) : conf;
    const { list } = validateConflist(parsed);
    const path = this.configFilePath(list.name);
    this.#ensureConfigDir();
    const state = inspectConfigFile(path);
    if (state.kind === "foreign") throw new ForeignConfigError(path, state.why);
    const content = { ...parsed, [MANAGED_KEY]: true };
    writeFileAtomic(path, `${JSON.stringify(content, null, 2)}\n`, 0o644);
    return path;
  }

  /**
   * Removes `<configPath>/<name>.conflist` if we wrote it.
   * @returns false when there was no such file
   * @throws ForeignConfigError when the file is not ours (it is left in place)
   */
  async uninstallNetworkConfig(name: string): Promise<boolean> {
    return removeOwnConfigFile(this.configFilePath(name));
  }

  /** The installed conflist of a network, or null when none. */
  readNetworkConfig(name: string): InstalledConfig | null {
    const path = this.configFilePath(name);
    const state = inspectConfigFile(path);
    if (state.kind === "absent") return null;
    return state.kind === "ours"
      ? { name, path, managed: true, content: state.content }
      : { name, path, managed: false };
  }

  /**
   * Runs one CNI command in this process, as the plugin would: env is the CNI_* environment
   * (CNI_COMMAND is set from command), stdin the plugin config (JSON text or object).
   * @returns ADD: the result in canonical 1.1.0 form (convert with formatResult for another
   *   version); VERSION: the version answer; others: undefined
   * @throws CniError with the code a runtime would see
   */
  async handle(
    command: CniCommand,
    env: Record<string, string | undefined>,
    stdin: string | Buffer | Record<string, unknown> = {},
  ): Promise<Result | VersionAnswer | undefined> {
    if (command === "VERSION") return versionInfo();
    const commands = this.commands;
    let result: Result | undefined;
    // The dispatcher's own verbs, with the ADD result kept instead of printed.
    const handlers: PluginHandlers = {
      add: async (req) => {
        result = await commands.add(req);
        return result;
      },
      del: (req) => commands.del(req),
      check: (req) => commands.check(req),
      gc: (req) => commands.gc(req),
      status: (req) => commands.status(req),
    };
    const bytes =
      typeof stdin === "string" || Buffer.isBuffer(stdin) ? Buffer.from(stdin) : Buffer.from(JSON.stringify(stdin));
    const outcome = await cniDispatch(handlers, {
      env: { ...env, CNI_COMMAND: command },
      stdin: bytes,
      stdout: () => undefined,
      stderr: () => undefined,
    });
    if (outcome.error) throw outcome.error;
    return result;
  }

  #ensureConfigDir(): void {
    try {
      mkdirSync(this.config.configPath, { recursive: true, mode: 0o755 });
    } catch (err) {
      throw new Error(`cannot create config directory "${this.config.configPath}": ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
}
