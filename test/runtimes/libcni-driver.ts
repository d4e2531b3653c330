/**
 * A libcni-like chain driver for tests: what a runtime's libcni does with a conflist, done by hand
 * (cni-spec.md §2, §3, §8; cnitool's behaviour without cnitool).
 *
 *   const chain = new LibcniDriver(conflist, { hostNetns: host.name, cacheDir, cniPath: [binDir, referenceDir] });
 *   const { result } = await chain.add({ containerId: "c1", netns: ctr.path, ifname: "eth0" });
 *   await chain.check(att);   // prevResult = the cached final result
 *   await chain.del(att);     // reverse order, same prevResult for every plugin
 *
 * - ADD runs the plugins in list order, each with the previous plugin's result as `prevResult`
 *   (converted to the list's version), `runtimeConfig` for the capabilities it declares; every
 *   result is parsed as libcni would (an unreadable or wrong-version result fails the chain).
 * - After the whole chain succeeded the final result is cached like libcni
 *   (`<cacheDir>/results/<network>-<containerId>-<ifname>`, kind cniCacheV1, config in base64).
 * - CHECK (list order) and DEL (reverse order) pass the cached result to every plugin; DEL without
 *   a cache entry sends no prevResult; a successful DEL removes the entry.
 * - Plugins run inside the test's private "host" netns (nsenter), found by `type` in `cniPath`.
 * The cache lives in a temp dir of the test, never in the machine's /var/lib/cni.
 */
import { accessSync, constants, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type AnyResult, type ConfList, convertResult, parseConfList, parseResult } from "../../src/cni/index.js";
import { buildPluginStdin } from "../../src/cni/runtime.js";
import { type PluginRun, runPlugin } from "../helpers/cni-runner.js";

export interface DriverOptions {
  /** Name of the private netns the plugins run in (the runtime's "host" netns). */
  hostNetns: string;
  /** Where `results/` (libcni's cache) goes: a temp dir of the test. */
  cacheDir: string;
  /** Plugin directories, searched in order; also CNI_PATH. */
  cniPath: string[];
  /** Extra environment for every plugin (e.g. QUANTUM_SOCKET). */
  env?: Record<string, string>;
  /** Extra environment per plugin type, over `env`. */
  pluginEnv?: Record<string, Record<string, string>>;
}

export interface ChainAttachment {
  containerId: string;
  /** CNI_NETNS; "" as containerd sends on DEL. */
  netns: string;
  ifname: string;
  /** The runtime's capability args (portMappings, bandwidth, mac, ips, ...). */
  capabilityArgs?: Record<string, unknown>;
  /** CNI_ARGS as a list of pairs, like libcni's cache. */
  cniArgs?: [string, string][];
}

/** One plugin invocation of a chain: what went in, what came out. */
export interface ChainStep {
  type: string;
  command: "ADD" | "CHECK" | "DEL";
  stdin: Record<string, unknown>;
  run: PluginRun;
  /** ADD: the plugin's result, parsed. */
  result?: AnyResult;
}

export interface CacheEntry {
  kind: "cniCacheV1";
  containerId: string;
  config: string;
  ifName: string;
  networkName: string;
  netns: string;
  cniArgs: [string, string][];
  capabilityArgs: Record<string, unknown>;
  result: Record<string, unknown>;
}

/** A chain step that failed: names the plugin, the verb and the plugin's own words. */
export class ChainError extends Error {
  constructor(
    readonly step: ChainStep,
    readonly steps: ChainStep[],
    detail?: string,
  ) {
    super(
      `${step.command} ${step.type} failed${detail ? ` (${detail})` : ""}: exit ${step.run.code}, stdout ${step.run.stdout.trim() || "(empty)"}, stderr ${step.run.stderr.trim() || "(empty)"}`,
    );
    this.name = "ChainError";
  }
}

export class LibcniDriver {
  readonly list: ConfList;
  /** The conflist bytes, as libcni keeps them (cached in base64). */
  readonly bytes: Buffer;

  constructor(
    conflist: string | Record<string, unknown>,
    readonly opts: DriverOptions,
  ) {
    this.bytes = Buffer.from(typeof conflist === "string" ? conflist : JSON.stringify(conflist, null, 2));
    this.list = parseConfList(this.bytes);
  }

  get name(): string {
    return this.list.name;
  }

  /** The executable of a plugin type: the first match in cniPath, as libcni's FindInPath. */
  findPlugin(type: string): string {
    for (const dir of this.opts.cniPath) {
      const p = join(dir, type);
      try {
        accessSync(p, constants.X_OK);
        return p;
      } catch {
        // next dir
      }
    }
    throw new Error(`failed to find plugin "${type}" in path [${this.opts.cniPath.join(" ")}]`);
  }

  cachePath(att: Pick<ChainAttachment, "containerId" | "ifname">): string {
    return join(this.opts.cacheDir, "results", `${this.name}-${att.containerId}-${att.ifname}`);
  }

  readCache(att: Pick<ChainAttachment, "containerId" | "ifname">): CacheEntry | undefined {
    let text: string;
    try {
      text = readFileSync(this.cachePath(att), "utf8");
    } catch {
      return undefined;
    }
    return JSON.parse(text) as CacheEntry;
  }

  /** ADD in list order, prevResult threaded; caches the final result. Throws ChainError at the first failure. */
  async add(att: ChainAttachment): Promise<{ result: AnyResult; json: Record<string, unknown>; steps: ChainStep[] }> {
    const steps: ChainStep[] = [];
    let prev: AnyResult | undefined;
    for (const plugin of this.list.plugins) {
      const stdin = buildPluginStdin(this.list, plugin, {
        command: "ADD",
        ...(att.capabilityArgs ? { capabilityArgs: att.capabilityArgs } : {}),
        ...(prev ? { prevResult: prev } : {}),
      });
      const step = await this.#invoke("ADD", plugin.type, stdin, att);
      steps.push(step);
      if (step.run.code !== 0) throw new ChainError(step, steps);
      try {
        step.result = parseResult(step.run.stdout);
      } catch (e) {
        throw new ChainError(step, steps, `libcni cannot read the result: ${(e as Error).message}`);
      }
      if (step.result.cniVersion !== this.list.cniVersion) {
        throw new ChainError(step, steps, `result version ${step.result.cniVersion}, config ${this.list.cniVersion}`);
      }
      prev = step.result;
    }
    if (!prev) throw new Error(`conflist "${this.name}" has no plugins`);
    const json = JSON.parse(steps.at(-1)!.run.stdout) as Record<string, unknown>;
    const entry: CacheEntry = {
      kind: "cniCacheV1",
      containerId: att.containerId,
      config: this.bytes.toString("base64"),
      ifName: att.ifname,
      networkName: this.name,
      netns: att.netns,
      cniArgs: att.cniArgs ?? [],
      capabilityArgs: att.capabilityArgs ?? {},
      result: json,
    };
    mkdirSync(join(this.opts.cacheDir, "results"), { recursive: true, mode: 0o700 });
    writeFileSync(this.cachePath(att), JSON.stringify(entry), { mode: 0o600 });
    return { result: prev, json, steps };
  }

  /** CHECK in list order with the cached result as prevResult. Throws ChainError at the first failure. */
  async check(att: ChainAttachment): Promise<ChainStep[]> {
    const cached = this.readCache(att);
    if (!cached) throw new Error(`no cached result for ${this.cachePath(att)}: CHECK needs a prior ADD`);
    return this.#run("CHECK", this.list.plugins, att, this.#cachedResult(cached));
  }

  /** DEL in reverse order with the cached result (if any) as prevResult; removes the cache entry on success. */
  async del(att: ChainAttachment): Promise<ChainStep[]> {
    const cached = this.readCache(att);
    const steps = await this.#run(
      "DEL",
      [...this.list.plugins].reverse(),
      att,
      cached ? this.#cachedResult(cached) : undefined,
    );
    rmSync(this.cachePath(att), { force: true });
    return steps;
  }

  #cachedResult(cached: CacheEntry): AnyResult {
    // libcni converts the cached result to the list's current version.
    return convertResult(parseResult(cached.result, this.list.cniVersion), this.list.cniVersion);
  }

  async #run(
    command: "CHECK" | "DEL",
    plugins: ConfList["plugins"],
    att: ChainAttachment,
    prevResult: AnyResult | undefined,
  ): Promise<ChainStep[]> {
    const steps: ChainStep[] = [];
    for (const plugin of plugins) {
      const stdin = buildPluginStdin(this.list, plugin, {
        command,
        ...(att.capabilityArgs ? { capabilityArgs: att.capabilityArgs } : {}),
        ...(prevResult ? { prevResult } : {}),
      });
      const step = await this.#invoke(command, plugin.type, stdin, att);
      steps.push(step);
      if (step.run.code !== 0) throw new ChainError(step, steps);
    }
    return steps;
  }

  async #invoke(
    command: ChainStep["command"],
    type: string,
    stdin: Record<string, unknown>,
    att: ChainAttachment,
  ): Promise<ChainStep> {
    const run = await runPlugin({
      command,
      hostNetns: this.opts.hostNetns,
      bin: this.findPlugin(type),
      containerId: att.containerId,
      netns: att.netns,
      ifname: att.ifname,
      cniPath: this.opts.cniPath.join(":"),
      args: (att.cniArgs ?? []).map(([k, v]) => `${k}=${v}`).join(";"),
      config: stdin,
      extraEnv: { ...this.opts.env, ...this.opts.pluginEnv?.[type] },
    });
    return { type, command, stdin, run };
  }
}
