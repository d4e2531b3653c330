// A long-lived process (a quantumd worker) sees the same network config on almost every call;
// validating quantum's keys with zod and building the network model costs ~0.3 ms, more than the
// store's work of an ADD. This remembers the model per config, keyed by the config without what
// changes per call and parseQuantumConfig never reads (prevResult, runtimeConfig, args).
import type { PluginConfig } from "../cni/index.js";
import { parseQuantumConfig, type QuantumNetConf } from "./network-config.js";

/** Configs remembered (networks a worker serves at once); the oldest is forgotten first. */
const DEFAULT_LIMIT = 64;

export class QuantumConfigCache {
  readonly #entries = new Map<string, QuantumNetConf>();

  constructor(readonly limit = DEFAULT_LIMIT) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`cache limit must be >= 1, got ${limit}`);
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * parseQuantumConfig, remembered. Each call gets its own copy (callers may adjust the spec, as
   * ADD does with a delegate's routes). A config that fails is not remembered: it fails each time.
   * @throws what parseQuantumConfig throws
   */
  parse(config: PluginConfig): QuantumNetConf {
    const key = cacheKey(config);
    let net = this.#entries.get(key);
    if (!net) {
      net = parseQuantumConfig(config);
      if (this.#entries.size >= this.limit) {
        const oldest = this.#entries.keys().next().value;
        if (oldest !== undefined) this.#entries.delete(oldest);
      }
      this.#entries.set(key, net);
    }
    return structuredClone(net);
  }
}

function cacheKey(config: PluginConfig): string {
  const { prevResult: _p, runtimeConfig: _r, args: _a, ...rest } = config.raw;
  return JSON.stringify([config.name, config.ipam ?? null, rest]);
}
