// The CNI error result (cni-spec.md §5) as a throwable. Every layer that answers a runtime throws a
// CniError; cniMain prints it unchanged and wraps anything else as CODE_INTERNAL, so errors never nest.

/** 0: unknown error (libcni). */
export const CODE_UNKNOWN = 0;
/** 1: the config's cniVersion is not supported, or the verb is not allowed at that version. */
export const CODE_INCOMPATIBLE_CNI_VERSION = 1;
/** 2: a config field is not supported (the message names key and value). */
export const CODE_UNSUPPORTED_FIELD = 2;
/** 3: the container is unknown or gone; the runtime need not clean up (no DEL). */
export const CODE_UNKNOWN_CONTAINER = 3;
/** 4: required CNI_* environment variables are missing or invalid (the message names them). */
export const CODE_INVALID_ENVIRONMENT_VARIABLES = 4;
/** 5: I/O failure, e.g. reading stdin. */
export const CODE_IO_FAILURE = 5;
/** 6: decoding failure: unparseable JSON or version string. */
export const CODE_DECODING_FAILURE = 6;
/** 7: invalid network configuration. */
export const CODE_INVALID_NETWORK_CONFIG = 7;
/** 8: invalid netns (skel: CNI_NETNS is the plugin's own netns). */
export const CODE_INVALID_NETNS = 8;
/** 11: transient failure, try again later. */
export const CODE_TRY_AGAIN_LATER = 11;
/** 50: the plugin cannot serve ADD right now (STATUS). */
export const CODE_PLUGIN_NOT_AVAILABLE = 50;
/** 51: not available, and existing containers may have limited connectivity (STATUS). */
export const CODE_LIMITED_CONNECTIVITY = 51;
/** 999: internal error: skel wraps every non-CNI error with this code. */
export const CODE_INTERNAL = 999;

/** Version written into error JSON when the caller knows no better one. */
const DEFAULT_ERROR_VERSION = "1.1.0";

/** The JSON shape of a CNI error result. */
export interface CniErrorJson {
  cniVersion: string;
  code: number;
  msg: string;
  details?: string;
}

/**
 * A CNI protocol error: `code` + `msg` (+ optional `details`), as printed on stdout.
 * `message` joins msg and details the way libcni's Error() does ("msg; details").
 */
export class CniError extends Error {
  override readonly name = "CniError";
  readonly code: number;
  readonly msg: string;
  readonly details: string | undefined;

  constructor(code: number, msg: string, details?: string, options?: { cause?: unknown }) {
    super(details ? `${msg}; ${details}` : msg, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.msg = msg;
    this.details = details === "" ? undefined : details;
  }

  /**
   * The error result object. JSON.stringify passes a property key ("" at top level), so any
   * argument that is not a non-empty string falls back to 1.1.0.
   */
  toJSON(cniVersion?: string): CniErrorJson {
    const out: CniErrorJson = {
      cniVersion: typeof cniVersion === "string" && cniVersion !== "" ? cniVersion : DEFAULT_ERROR_VERSION,
      code: this.code,
      msg: this.msg,
    };
    if (this.details !== undefined) out.details = this.details;
    return out;
  }

  /** Keeps a CniError as is; wraps anything else as CODE_INTERNAL with its message (skel behaviour). */
  static wrap(err: unknown): CniError {
    if (err instanceof CniError) return err;
    const msg = err instanceof Error ? err.message : String(err);
    return new CniError(CODE_INTERNAL, msg, undefined, { cause: err });
  }
}

/** True for a value that looks like a CNI error result (a numeric `code` and a string `msg`). */
export function isCniErrorJson(value: unknown): value is CniErrorJson {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return typeof v["code"] === "number" && typeof v["msg"] === "string";
}

/**
 * Parses an error result printed by a plugin. skel's errors lack `cniVersion`, so it is optional.
 * @throws CniError(CODE_DECODING_FAILURE) when the text is not an error result.
 */
export function parseCniError(text: string | Record<string, unknown>): CniError {
  let value: unknown = text;
  if (typeof text === "string") {
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new CniError(CODE_DECODING_FAILURE, "cannot decode CNI error result", (e as Error).message);
    }
  }
  if (!isCniErrorJson(value)) {
    throw new CniError(CODE_DECODING_FAILURE, 'not a CNI error result: needs a numeric "code" and a string "msg"');
  }
  const details = (value as { details?: unknown }).details;
  return new CniError(value.code, value.msg, typeof details === "string" ? details : undefined);
}
