// The errors the network layer raises itself. Each keeps its cause; lists of failures are lists of
// errors, so the manager maps codes from their types and a person reads every one.

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

/** One thing that went wrong or was found, with what it was about; `cause` is the error below. */
export class Problem extends Error {
  constructor(
    readonly what: string,
    cause?: unknown,
  ) {
    super(cause === undefined ? what : `${what}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = "Problem";
  }
}

/** An operation that ran every step and collected what failed (DEL, GC) or what it found (CHECK). */
export class AttachmentProblemsError extends Error {
  constructor(
    readonly problems: readonly Error[],
    what: string,
  ) {
    super(`${what}: ${problems.map((p) => p.message).join("; ")}`, { cause: problems[0] });
    this.name = "AttachmentProblemsError";
  }
}

/** The network cannot take new containers on this node now (overlay: no fabric lease, or fenced): retry later. */
export class NetworkNotReadyError extends Error {
  constructor(
    readonly network: string,
    readonly reason: string,
  ) {
    super(`network "${network}" cannot start pods on this node: ${reason}`);
    this.name = "NetworkNotReadyError";
  }
}

/**
 * A network that would share a bridge or address space with another network of this host, or a
 * known network's name with another bridge, subnet or data dir: refused before anything is touched.
 */
export class NetworkConflictError extends Error {
  constructor(
    readonly network: string,
    readonly other: string,
    readonly otherDataDir: string,
    readonly reason: string,
  ) {
    super(
      `network "${network}" conflicts with network "${other}" (data dir ${otherDataDir}): ${reason}; ` +
        `if "${other}" is no longer used, run: quantumctl registry forget ${other}`,
    );
    this.name = "NetworkConflictError";
  }
}

/** The network's bridge has as many ports as the kernel allows (1024): no container can join it. */
export class BridgeFullError extends Error {
  constructor(
    readonly network: string,
    readonly bridge: string,
    cause: unknown,
  ) {
    super(
      `bridge "${bridge}" of network "${network}" has the kernel's maximum of 1024 ports: ` +
        "no more containers fit on this network on this host",
      { cause },
    );
    this.name = "BridgeFullError";
  }
}
