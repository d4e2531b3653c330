// A plugin config (the stdin of a plugin): decoded and checked in skel's order (JSON → 6, name → 7,
// cniVersion → 1), then the protocol's fields validated one by one (→ 7, messages name the field
// and the value). The plugin's own keys pass through untouched in `raw`.
import { pluginConfigSchema } from "./config-schema.js";
import { containerIdProblem } from "./env.js";
import { CniError, CODE_DECODING_FAILURE, CODE_INVALID_NETWORK_CONFIG } from "./errors.js";
import { findDuplicateKey } from "./json-duplicates.js";
import { parseResult, type Result, toCanonicalResult } from "./result.js";
import { foldArgsKeys, foldRuntimeConfigKeys } from "./runtime-config-keys.js";
import type { Attachment, Dns } from "./types.js";
import { type CniVersion, DEFAULT_VERSION, requireSupportedVersion } from "./version.js";
import { describeZodError, showValue } from "./zod-format.js";

/** Network names go into store keys, kernel labels and messages: refused beyond this, never cut. */
export const MAX_NETWORK_NAME_BYTES = 128;

/** `ipam`: delegated IPAM config; only `type` is ours to read, other keys belong to the IPAM plugin. */
export interface IpamConfig {
  type?: string;
  [key: string]: unknown;
}

/** One `portMappings` entry (portmap's PortMapEntry); protocol lower-cased, "" and absent read as tcp. */
export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: "tcp" | "udp" | "sctp";
  hostIP?: string;
  [key: string]: unknown;
}

/** The `dns` capability (servers/searches/options, unlike the result's nameservers/search). */
export interface RuntimeDns {
  servers?: string[];
  searches?: string[];
  options?: string[];
  [key: string]: unknown;
}

/**
 * Capability args the runtime injected (CONVENTIONS.md), keys folded to the field names as Go's
 * decoder matches them (go-cni sends `HostPort`, `Servers`, ...). Only the capabilities quantum
 * reads are typed and validated; the others (bandwidth, ipRanges, pod annotations) are kept unchecked.
 */
export interface RuntimeConfig {
  ips?: string[];
  mac?: string;
  portMappings?: PortMapping[];
  dns?: RuntimeDns;
  [key: string]: unknown;
}

/** The `args` key: metadata under `cni` (preferred over the CNI_ARGS copy of the same item). */
export interface ConfigArgs {
  cni?: { ips?: string[]; mac?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/**
 * A plugin config as the protocol defines it (skel's NetConf plus the conventions' keys). The
 * plugin's own keys are not read here: they stay in `raw`, for the plugin's own parser
 * (manager/network-config.ts for quantum), exactly as a Go plugin decodes its own struct.
 */
export interface PluginConfig {
  cniVersion: CniVersion;
  name: string;
  type?: string;
  dns?: Dns;
  ipam?: IpamConfig;
  capabilities: Record<string, boolean>;
  runtimeConfig: RuntimeConfig;
  args?: ConfigArgs;
  /** prevResult, read in its own or else the config's version, converted to canonical 1.1.0. */
  prevResult?: Result;
  /** GC: `cni.dev/valid-attachments`, else the misnamed `cni.dev/attachments` (cni#1101). */
  validAttachments?: Attachment[];
  /** The decoded object, every key included (delegation, pass-through, the plugin's own keys). */
  raw: Record<string, unknown>;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * skel's first look at stdin: JSON object (→ 6), `name` present and valid (→ 7), `cniVersion` a
 * string when present (→ 6). Used by cniMain before the per-verb version gate.
 * @throws CniError(CODE_DECODING_FAILURE | CODE_INVALID_NETWORK_CONFIG)
 */
export function decodeConfigJson(input: string | Buffer | Record<string, unknown>): Record<string, unknown> {
  let raw: unknown = input;
  if (typeof input === "string" || Buffer.isBuffer(input)) {
    const text = input.toString();
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new CniError(CODE_DECODING_FAILURE, `error unmarshalling network config: ${(e as Error).message}`);
    }
    const duplicate = findDuplicateKey(text);
    if (duplicate !== undefined) {
      throw new CniError(
        CODE_INVALID_NETWORK_CONFIG,
        `invalid network config: key ${showValue(duplicate)} appears more than once`,
      );
    }
  }
  if (!isPlainObject(raw)) {
    throw new CniError(
      CODE_DECODING_FAILURE,
      `error unmarshalling network config: ${showValue(raw)} is not a JSON object`,
    );
  }
  const cniVersion = raw["cniVersion"];
  if (cniVersion !== undefined && typeof cniVersion !== "string") {
    throw new CniError(
      CODE_DECODING_FAILURE,
      `invalid config field "cniVersion": ${showValue(cniVersion)} must be a string`,
    );
  }
  const name = raw["name"];
  // Go decodes a null name as "": missing, not mistyped.
  if (name === undefined || name === null || name === "") {
    throw new CniError(CODE_INVALID_NETWORK_CONFIG, 'missing network name (config field "name")');
  }
  if (typeof name !== "string") {
    throw new CniError(CODE_DECODING_FAILURE, `invalid config field "name": ${showValue(name)} must be a string`);
  }
  const problem =
    Buffer.byteLength(name, "utf8") > MAX_NETWORK_NAME_BYTES
      ? `is too long (at most ${MAX_NETWORK_NAME_BYTES} bytes)`
      : containerIdProblem(name);
  if (problem)
    throw new CniError(CODE_INVALID_NETWORK_CONFIG, `invalid config field "name": ${showValue(name)} ${problem}`);
  return raw;
}

/** The config's version: `cniVersion`, or 0.1.0 when missing/empty. Call after decodeConfigJson. */
export function configVersion(raw: Record<string, unknown>): string {
  const v = raw["cniVersion"];
  return typeof v === "string" && v !== "" ? v : DEFAULT_VERSION;
}

/**
 * Decodes and validates a plugin config.
 * @throws CniError: 6 bad JSON, 7 missing/invalid name or any invalid field (the message names
 *   the field and its value), 1 unsupported cniVersion.
 */
export function parsePluginConfig(input: string | Buffer | Record<string, unknown>): PluginConfig {
  const raw = decodeConfigJson(input);
  const cniVersion = requireSupportedVersion(configVersion(raw));
  // Validate the runtimeConfig as a Go plugin decodes it; error messages still quote the raw config.
  const folded = { ...raw };
  if ("runtimeConfig" in raw) folded["runtimeConfig"] = foldRuntimeConfigKeys(raw["runtimeConfig"]);
  if ("args" in raw) folded["args"] = foldArgsKeys(raw["args"]);
  const parsed = pluginConfigSchema.safeParse(folded);
  if (!parsed.success) {
    throw new CniError(CODE_INVALID_NETWORK_CONFIG, describeZodError(parsed.error, folded, "config field"));
  }
  const c = parsed.data;
  const out: PluginConfig = {
    cniVersion,
    name: raw["name"] as string,
    capabilities: c.capabilities,
    runtimeConfig: c.runtimeConfig as RuntimeConfig,
    raw,
  };
  const optional = {
    type: c.type,
    dns: c.dns,
    ipam: c.ipam as IpamConfig | undefined,
    args: c.args as ConfigArgs | undefined,
    validAttachments: c["cni.dev/valid-attachments"] ?? c["cni.dev/attachments"],
  };
  for (const [k, v] of Object.entries(optional)) {
    if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  }
  if (c.prevResult !== undefined) {
    const prev = parseResult(c.prevResult, cniVersion, {
      fieldPrefix: ["prevResult"],
      code: CODE_INVALID_NETWORK_CONFIG,
    });
    out.prevResult = toCanonicalResult(prev);
  }
  return out;
}
