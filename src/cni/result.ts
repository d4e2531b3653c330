// The public door to results (libcni pkg/types/create): read any version from JSON, print any
// version in Go's field order, convert to the version a config asks for.
import type { z } from "zod";
import { type AnyResult, convertResult } from "./convert.js";
import { CniError, CODE_DECODING_FAILURE, CODE_INCOMPATIBLE_CNI_VERSION } from "./errors.js";
import { copyResultV020, isV020Version, type ResultV020, resultV020Schema, resultV020ToJson } from "./v020/types.js";
import { copyResultV040, isV040Version, type ResultV040, resultV040Schema, resultV040ToJson } from "./v040/types.js";
import { copyResultV100, type ResultV100, resultV100Schema, resultV100ToJson } from "./v100/types.js";
import { DEFAULT_VERSION, isSupportedVersion, SUPPORTED_VERSIONS } from "./version.js";
import { describeZodError } from "./zod-format.js";

export type { AnyResult } from "./convert.js";
export { cloneResult, convertResult } from "./convert.js";

/** The canonical in-memory result: handlers produce 1.1.0, cniMain converts for printing. */
export type Result = ResultV100;

export interface ParseResultOptions {
  /** Path segments put before field names in messages, e.g. ["prevResult"]. */
  fieldPrefix?: (string | number)[];
  /** Code of the thrown CniError for a bad shape (default CODE_DECODING_FAILURE). */
  code?: number;
}

function schemaFor(version: string): z.ZodTypeAny {
  if (isV020Version(version)) return resultV020Schema;
  if (isV040Version(version)) return resultV040Schema;
  return resultV100Schema;
}

/**
 * Reads a result of any supported version. A missing or empty `cniVersion` means
 * `fallbackVersion` (a prevResult or cached result is read as the config's version), else 0.1.0.
 * Unknown keys are ignored, as Go's decoder does; the output is a deep copy in canonical form.
 * @param json the result as JSON text or an already-decoded value
 * @throws CniError(CODE_DECODING_FAILURE) for bad JSON or a bad shape (message names the field),
 *   CniError(CODE_INCOMPATIBLE_CNI_VERSION) for an unsupported cniVersion.
 */
export function parseResult(
  json: string | unknown,
  fallbackVersion?: string,
  opts: ParseResultOptions = {},
): AnyResult {
  const prefix = opts.fieldPrefix ?? [];
  const code = opts.code ?? CODE_DECODING_FAILURE;
  let value: unknown = json;
  if (typeof json === "string") {
    try {
      value = JSON.parse(json);
    } catch (e) {
      throw new CniError(CODE_DECODING_FAILURE, `cannot decode result JSON: ${(e as Error).message}`);
    }
  }
  const where = prefix.length > 0 ? ` "${prefix.join(".")}"` : "";
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new CniError(code, `invalid result${where}: must be a JSON object`);
  }
  const rawVersion = (value as Record<string, unknown>)["cniVersion"];
  if (rawVersion !== undefined && typeof rawVersion !== "string") {
    throw new CniError(code, `invalid result${where}: "cniVersion" must be a string`);
  }
  const version = rawVersion || fallbackVersion || DEFAULT_VERSION;
  if (!isSupportedVersion(version)) {
    throw new CniError(
      CODE_INCOMPATIBLE_CNI_VERSION,
      `unsupported result version "${version}"`,
      `supported: ${SUPPORTED_VERSIONS.join(", ")}`,
    );
  }
  const parsed = schemaFor(version).safeParse(value);
  if (!parsed.success) throw new CniError(code, describeZodError(parsed.error, value, "result field", prefix));
  if (isV020Version(version)) return copyResultV020(parsed.data as ResultV020, version);
  if (isV040Version(version)) return copyResultV040(parsed.data as ResultV040, version);
  return copyResultV100(parsed.data as ResultV100, version);
}

/** The object to print for a result: Go's field order and empty-field rules for its version. */
export function resultToJson(result: AnyResult): Record<string, unknown> {
  if (isV020Version(result.cniVersion)) return resultV020ToJson(result as ResultV020);
  if (isV040Version(result.cniVersion)) return resultV040ToJson(result as ResultV040);
  return resultV100ToJson(result as ResultV100);
}

/** JSON text of `result` converted to `version`. @throws as convertResult. */
export function formatResult(result: AnyResult, version: string = result.cniVersion): string {
  return JSON.stringify(resultToJson(convertResult(result, version)));
}

/** Any result as the canonical 1.1.0 form. @throws as convertResult. */
export function toCanonicalResult(result: AnyResult): Result {
  return convertResult(result, "1.1.0") as Result;
}

/** Rejects versions this module cannot produce (used before converting for a caller). */
export function assertResultVersion(version: string): void {
  if (!isSupportedVersion(version)) {
    throw new CniError(CODE_INCOMPATIBLE_CNI_VERSION, `unsupported result version "${version}"`);
  }
}
