// Host-side veth names: random, with bounded retries when a name is already taken on the host.
import { randomBytes } from "node:crypto";
import { type KernelError, PeerNameTakenError } from "./errors.js";
import { getLink } from "./link.js";
import { addVeth, isExists } from "./link-create.js";
import type { Link, RtnlChannel, VethOptions } from "./types.js";

/** `<prefix><8 hex chars>`, e.g. "vethc0ffee12". @throws RangeError when prefix is over 7 bytes. */
export function randomVethName(prefix = "veth"): string {
  if (Buffer.byteLength(prefix) > 7) throw new RangeError(`veth name prefix "${prefix}" is longer than 7 bytes`);
  return prefix + randomBytes(4).toString("hex");
}

export interface HostVethOptions extends Omit<VethOptions, "name"> {
  /** Prefix of the random host name (default "veth"). */
  prefix?: string;
  /** Names to try before giving up (default 10). */
  tries?: number;
}

/**
 * Creates a veth pair whose host end gets a random name, retrying with a new name when that one
 * is taken on the host. A taken peerName inside the target netns is not retried: it is the
 * caller's error (the container already has that interface) and is thrown as EEXIST.
 * @returns the host end, read back.
 */
export function createHostVeth(ch: RtnlChannel, o: HostVethOptions): Link {
  const { prefix, tries = 10, ...rest } = o;
  let last: KernelError | undefined;
  for (let i = 0; i < tries; i++) {
    const name = randomVethName(prefix);
    try {
      return addVeth(ch, { ...rest, name });
    } catch (e) {
      if (!isExists(e)) throw e;
      // The kernel says EEXIST for either end: if the host name is free, the peer name clashed.
      if (getLink(ch, name) === null) {
        throw new PeerNameTakenError({
          errno: e.errno,
          code: e.code,
          op: "addVeth",
          object: `veth peer ${o.peerName}`,
          reason: "interface already exists in the target netns",
          ...(e.kernelMessage ? { kernelMessage: e.kernelMessage } : {}),
          cause: e,
        });
      }
      last = e;
    }
  }
  // Every try clashed on the host: report the last clash (EEXIST) as is.
  throw last ?? new RangeError(`createHostVeth: tries must be at least 1, got ${tries}`);
}
