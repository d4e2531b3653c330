// Errors of the kernel layer. A KernelError says what failed on which object and why, in the
// kernel's words: `veth c0ffee12: File exists (kernel: <extack text>)`.
import { isNativeError } from "./addon.js";
import { ERRNO } from "./constants.js";

export interface KernelErrorInit {
  errno: number;
  code: string;
  /** The operation, e.g. "addVeth". */
  op: string;
  /** What it was applied to, e.g. "veth c0ffee12" or "address 10.0.0.2/24 on link 7". */
  object: string;
  /** Human text for errno (strerror), e.g. "File exists". */
  reason: string;
  kernelMessage?: string;
  cause?: unknown;
}

export class KernelError extends Error {
  override name = "KernelError";
  /** Positive errno, as in C (EEXIST = 17). */
  readonly errno: number;
  /** Symbolic errno: "EEXIST". */
  readonly code: string;
  readonly op: string;
  readonly object: string;
  /** strerror text for errno, e.g. "File exists". */
  readonly reason: string;
  /** The kernel's extended-ack message, when it sent one. */
  readonly kernelMessage?: string;

  constructor(o: KernelErrorInit) {
    const k = o.kernelMessage ? ` (kernel: ${o.kernelMessage})` : "";
    super(`${o.object}: ${o.reason}${k}`, o.cause === undefined ? undefined : { cause: o.cause });
    this.errno = o.errno;
    this.code = o.code;
    this.op = o.op;
    this.object = o.object;
    this.reason = o.reason;
    if (o.kernelMessage) this.kernelMessage = o.kernelMessage;
  }
}

/** The link named by an operation does not exist (ENODEV). DEL paths treat it as done. */
export class LinkNotFoundError extends KernelError {
  override name = "LinkNotFoundError";
}

/** The veth peer's name is already taken inside the target netns (EEXIST for the container's end). */
export class PeerNameTakenError extends KernelError {
  override name = "PeerNameTakenError";
}

/**
 * Converts what the addon threw into a KernelError about `object`; ENODEV becomes
 * LinkNotFoundError. Anything that is not an addon error is returned unchanged.
 */
export function toKernelError(e: unknown, op: string, object: string): unknown {
  if (!isNativeError(e)) return e;
  const init: KernelErrorInit = {
    errno: e.errno,
    code: e.code,
    op,
    object,
    reason: reasonOf(e.message),
    cause: e,
  };
  if (e.kernelMessage) init.kernelMessage = e.kernelMessage;
  return e.errno === ERRNO.ENODEV ? new LinkNotFoundError(init) : new KernelError(init);
}

/** The addon's messages are `<syscall>: <strerror>[ (kernel: ...)]`: keep only the strerror part. */
function reasonOf(message: string): string {
  const colon = message.indexOf(": ");
  const rest = colon === -1 ? message : message.slice(colon + 2);
  const k = rest.indexOf(" (kernel: ");
  return k === -1 ? rest : rest.slice(0, k);
}
