// The wire format between the shim (bin/quantum) and quantumd, versioned so an old shim and a new
// daemon can tell they do not match.
//
// Request:  POST /v1/cni, body {"v":1,"env":{"CNI_COMMAND":"ADD",...},"stdin":"<config text>"}
// Response: HTTP 200 for every answer the plugin would have printed:
//   X-CNI-Exit: <exit code>            the plugin's exit status
//   X-CNI-Stdout-Length: <n>           the first n body bytes are stdout, the rest stderr
//   body                               exactly the bytes direct mode would print
// A request the daemon cannot accept (bad schema, busy, shutting down) still gets X-CNI-Exit: 1 and
// a CNI error JSON body, so the shim has one code path: print the body, exit with the header.
import { CniError, CODE_DECODING_FAILURE, CODE_INCOMPATIBLE_CNI_VERSION } from "../cni/errors.js";
import { isSupportedVersion } from "../cni/version.js";

export const SCHEMA_VERSION = 1;
export const HEADER_EXIT = "x-cni-exit";
export const HEADER_STDOUT_LENGTH = "x-cni-stdout-length";

/** A validated POST /v1/cni body. */
export interface CniWireRequest {
  v: number;
  /** The CNI_* variables (and anything else the shim chose to forward). */
  env: Record<string, string>;
  /** The config bytes the runtime wrote on the plugin's stdin. */
  stdin: string;
}

/** What the plugin would have produced: exit code, stdout, stderr, and the CNI code of the answer. */
export interface CniAnswer {
  exit: number;
  /** 0 on success, else the CNI error code printed on stdout (from the dispatcher's outcome). */
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Parses and validates a request body. Every failure is a CniError the daemon can answer with:
 * not JSON or the wrong shape → 6 (decoding failure); another schema version → 1 (incompatible).
 */
export function parseWireRequest(body: string): CniWireRequest {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (e) {
    throw new CniError(CODE_DECODING_FAILURE, "quantumd: request body is not JSON", (e as Error).message);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new CniError(CODE_DECODING_FAILURE, "quantumd: request body must be a JSON object");
  }
  const o = data as Record<string, unknown>;
  if (o["v"] !== SCHEMA_VERSION) {
    throw new CniError(
      CODE_INCOMPATIBLE_CNI_VERSION,
      "quantumd: incompatible shim request schema",
      `request schema version ${JSON.stringify(o["v"] ?? null)}, daemon speaks ${SCHEMA_VERSION}: update bin/quantum`,
    );
  }
  const env = o["env"];
  if (typeof env !== "object" || env === null || Array.isArray(env)) {
    throw new CniError(CODE_DECODING_FAILURE, 'quantumd: request field "env" must be an object of strings');
  }
  const outEnv: Record<string, string> = {};
  for (const [k, val] of Object.entries(env)) {
    if (typeof val !== "string") {
      throw new CniError(CODE_DECODING_FAILURE, `quantumd: request env "${k}" must be a string`);
    }
    outEnv[k] = val;
  }
  const stdin = o["stdin"] ?? "";
  if (typeof stdin !== "string") {
    throw new CniError(CODE_DECODING_FAILURE, 'quantumd: request field "stdin" must be a string');
  }
  return { v: SCHEMA_VERSION, env: outEnv, stdin };
}

/** What the daemon reads of a config for scheduling and logs; every field best effort. */
export interface ConfigSummary {
  /** The config's cniVersion when supported (errors are printed in it, as cniMain does). */
  cniVersion?: string;
  name?: string;
}

export function summarizeConfig(stdin: string): ConfigSummary {
  let o: unknown;
  try {
    o = JSON.parse(stdin);
  } catch {
    return {};
  }
  if (typeof o !== "object" || o === null) return {};
  const { cniVersion, name } = o as { cniVersion?: unknown; name?: unknown };
  const out: ConfigSummary = {};
  if (typeof cniVersion === "string" && isSupportedVersion(cniVersion)) out.cniVersion = cniVersion;
  if (typeof name === "string") out.name = name;
  return out;
}

/** The answer a plugin gives when it fails with err: the error JSON on stdout, exit 1. */
export function errorAnswer(err: CniError, cniVersion?: string): CniAnswer {
  return { exit: 1, code: err.code, stdout: `${JSON.stringify(err.toJSON(cniVersion))}\n`, stderr: "" };
}
