import {
  CniError,
  CODE_INTERNAL,
  CODE_INVALID_ENVIRONMENT_VARIABLES,
  CODE_INVALID_NETWORK_CONFIG,
  CODE_TRY_AGAIN_LATER,
  CODE_UNSUPPORTED_FIELD,
} from "../cni/index.js";
import {
  BridgeFullError,
  InterfaceExistsError,
  IpamError,
  NetnsNotFoundError,
  NetworkConflictError,
  NetworkNotReadyError,
  NotANetnsError,
  PeerNameTakenError,
  StoreDamagedError,
  StoreFullError,
  UnsupportedDriverError,
} from "../network/index.js";
import { DelegateError } from "./plugin-exec.js";

/** Plugin-specific codes (100+ is ours by the spec). */
export const CODE_POOL_EXHAUSTED = 100;
export const CODE_ADDRESS_UNAVAILABLE = 101;
export const CODE_DUPLICATE_ATTACHMENT = 102;
/** Another network of this host has the bridge or address space, or the name with other settings. */
export const CODE_NETWORK_CONFLICT = 103;
/** The store fails its integrity check: ADD, CHECK and GC are refused until it is recovered (DEL works). */
export const CODE_STORE_DAMAGED = 104;

/** The error types that carry a CNI meaning; anything else is 999. */
const MEANINGFUL = [
  CniError,
  IpamError,
  DelegateError,
  NetnsNotFoundError,
  NotANetnsError,
  InterfaceExistsError,
  PeerNameTakenError,
  UnsupportedDriverError,
  NetworkNotReadyError,
  NetworkConflictError,
  StoreDamagedError,
  StoreFullError,
  BridgeFullError,
] as const;

/** The innermost error that has a CNI meaning, following `cause` (by type, never by message text). */
function meaningful(err: unknown): unknown {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (MEANINGFUL.some((type) => e instanceof type)) return e;
  }
  return undefined;
}

/**
 * Maps any failure to the CNI error a runtime should see. The message keeps the full context
 * (which step, which container, which network); the code comes from the root cause.
 */
export function toCniError(err: unknown, context: string): CniError {
  const root = meaningful(err);
  const message = `${context}: ${err instanceof Error ? err.message : String(err)}`;
  if (root instanceof CniError)
    return root === err ? root : new CniError(root.code, message, root.details, { cause: err });
  if (root instanceof DelegateError) return new CniError(root.code, message, root.details, { cause: err });
  if (root instanceof IpamError) {
    const code =
      root.kind === "exhausted"
        ? CODE_POOL_EXHAUSTED
        : root.kind === "duplicate"
          ? CODE_DUPLICATE_ATTACHMENT
          : root.kind === "invalid-range"
            ? CODE_INVALID_NETWORK_CONFIG
            : CODE_ADDRESS_UNAVAILABLE;
    const text = root.kind === "exhausted" ? `${context}: address pool exhausted: ${root.message}` : message;
    return new CniError(code, text, undefined, { cause: err });
  }
  if (root instanceof NetnsNotFoundError || root instanceof NotANetnsError) {
    return new CniError(CODE_INVALID_ENVIRONMENT_VARIABLES, `${message} (CNI_NETNS)`, undefined, { cause: err });
  }
  if (root instanceof InterfaceExistsError || root instanceof PeerNameTakenError) {
    return new CniError(CODE_INVALID_ENVIRONMENT_VARIABLES, `${message} (CNI_IFNAME)`, undefined, { cause: err });
  }
  // No fabric lease yet, or self-fenced: the runtime should retry once the node's claim is verified.
  if (root instanceof NetworkNotReadyError)
    return new CniError(CODE_TRY_AGAIN_LATER, message, undefined, { cause: err });
  if (root instanceof StoreDamagedError) return new CniError(CODE_STORE_DAMAGED, message, undefined, { cause: err });
  // The spec's "try again later": the runtime retries once space is freed.
  // A full bridge is a full pool: no container can join this network on this host.
  if (root instanceof BridgeFullError) return new CniError(CODE_POOL_EXHAUSTED, message, undefined, { cause: err });
  if (root instanceof StoreFullError) return new CniError(CODE_TRY_AGAIN_LATER, message, undefined, { cause: err });
  if (root instanceof NetworkConflictError)
    return new CniError(CODE_NETWORK_CONFLICT, message, undefined, { cause: err });
  if (root instanceof UnsupportedDriverError) {
    return new CniError(CODE_UNSUPPORTED_FIELD, message, `driver: ${root.driver}`, { cause: err });
  }
  return new CniError(CODE_INTERNAL, message, undefined, { cause: err });
}

/** True when `err` or an error along its cause chain (or among a problem list's) is a `type`. */
export function causedBy(err: unknown, type: abstract new (...args: never[]) => Error): boolean {
  for (let e: unknown = err; e instanceof Error; e = (e as Error).cause) {
    if (e instanceof type) return true;
    const problems = (e as { problems?: unknown }).problems;
    if (Array.isArray(problems) && problems.some((p) => causedBy(p, type))) return true;
  }
  return false;
}
