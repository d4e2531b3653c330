// A network configuration list (.conflist) as libcni reads it (cni-spec.md §2): the list keys,
// the version choice, and the plugin objects kept raw (unknown keys must pass through).
import { z } from "zod";
import { CONTAINER_ID_PATTERN } from "./env.js";
import { CniError, CODE_DECODING_FAILURE, CODE_INVALID_NETWORK_CONFIG } from "./errors.js";
import { boolish } from "./schemas.js";
import { type CniVersion, chooseConfListVersion, requireSupportedVersion } from "./version.js";
import { describeZodError, showValue } from "./zod-format.js";

/** One plugin object of a list: `type` is required, everything else is the plugin's business. */
export interface ConfListPlugin {
  type: string;
  capabilities?: Record<string, boolean>;
  [key: string]: unknown;
}

export interface ConfList {
  /** The negotiated version: highest of cniVersion ∪ cniVersions (entries above 1.1.0 ignored). */
  cniVersion: CniVersion;
  cniVersions?: string[];
  name: string;
  disableCheck: boolean;
  disableGC: boolean;
  loadOnlyInlinedPlugins: boolean;
  /** Raw plugin objects, in list order. Empty when the list has no `plugins` key. */
  plugins: ConfListPlugin[];
  /** The decoded list object, unchanged. */
  raw: Record<string, unknown>;
}

const pluginSchema = z
  .object({
    type: z.string().min(1),
    capabilities: z.record(z.string(), z.boolean()).optional(),
  })
  .passthrough();

const confListSchema = z
  .object({
    cniVersion: z.string().optional(),
    cniVersions: z.array(z.string()).optional(),
    name: z
      .string()
      .regex(CONTAINER_ID_PATTERN, { message: "has invalid characters (allowed: [a-zA-Z0-9][a-zA-Z0-9_.-]*)" }),
    disableCheck: boolish.default(false),
    disableGC: boolish.default(false),
    loadOnlyInlinedPlugins: boolish.default(false),
    plugins: z.array(pluginSchema).optional(),
  })
  .passthrough();

/**
 * Decodes and validates a conflist.
 * @throws CniError: 6 bad JSON or unparseable version string; 7 bad list keys or plugin objects
 *   (message names the field and value), or `loadOnlyInlinedPlugins` without `plugins`;
 *   1 when the chosen version is not supported.
 */
export function parseConfList(input: string | Buffer | Record<string, unknown>): ConfList {
  let raw: unknown = input;
  if (typeof input === "string" || Buffer.isBuffer(input)) {
    try {
      raw = JSON.parse(input.toString());
    } catch (e) {
      throw new CniError(CODE_DECODING_FAILURE, `error parsing configuration list: ${(e as Error).message}`);
    }
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new CniError(
      CODE_DECODING_FAILURE,
      `error parsing configuration list: ${showValue(raw)} is not a JSON object`,
    );
  }
  const parsed = confListSchema.safeParse(raw);
  if (!parsed.success) {
    throw new CniError(CODE_INVALID_NETWORK_CONFIG, describeZodError(parsed.error, raw, "conflist field"));
  }
  const c = parsed.data;
  if (c.plugins === undefined && c.loadOnlyInlinedPlugins) {
    throw new CniError(
      CODE_INVALID_NETWORK_CONFIG,
      'invalid conflist field "loadOnlyInlinedPlugins": true needs a "plugins" key',
    );
  }
  const chosen = requireSupportedVersion(chooseConfListVersion(c.cniVersion || undefined, c.cniVersions));
  const out: ConfList = {
    cniVersion: chosen,
    name: c.name,
    disableCheck: c.disableCheck,
    disableGC: c.disableGC,
    loadOnlyInlinedPlugins: c.loadOnlyInlinedPlugins,
    plugins: (c.plugins ?? []).map((p) => structuredClone(p) as ConfListPlugin),
    raw: raw as Record<string, unknown>,
  };
  if (c.cniVersions !== undefined) out.cniVersions = [...c.cniVersions];
  return out;
}
