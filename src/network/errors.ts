/** The container already has an interface of the requested name: ADD must fail, never reuse it. */
export class InterfaceExistsError extends Error {
  constructor(
    readonly ifname: string,
    readonly netnsPath: string,
  ) {
    super(`interface "${ifname}" already exists in netns ${netnsPath}`);
    this.name = "InterfaceExistsError";
  }
}

/** An operation that ran every step and collected what failed (DEL, CHECK, GC). */
export class AttachmentProblemsError extends Error {
  constructor(
    readonly problems: string[],
    what: string,
  ) {
    super(`${what}: ${problems.join("; ")}`);
    this.name = "AttachmentProblemsError";
  }
}

// The errors the network layer's operations let through from below, re-exported so the layers
// above (manager/) can map them to CNI codes without reaching past network/.
export { IpamError, type IpamErrorKind } from "../ipam/index.js";
export { KernelError, LinkNotFoundError, NetnsNotFoundError, NotANetnsError } from "../kernel/index.js";
