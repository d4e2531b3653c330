// What the host end of a container's veth says about its attachment, in its link alias
// (IFLA_IFALIAS, at most 255 bytes): enough for a lost or empty store to be rebuilt from the live
// kernel (kernel-recovery.ts). The veth pair dies with the container's netns, so a host end that
// exists is a live container; its alias names which one:
//   "quantum1 <network id> <ifname> <container id> [<netns path>]"
// A container id that would not fit is written as commentOwnerId's "h.<sha256>"; a netns path that
// would not fit is left out (recovery then finds the netns from the runtime's next DEL/CHECK).
import { commentOwnerId } from "./firewall/index.js";

const TAG = "quantum1";
const MAX_ALIAS_BYTES = 255;

export interface AttachmentAlias {
  networkId: string;
  ifname: string;
  /** The container id, or "h.<sha256>" when it was too long to carry. */
  containerId: string;
  netns?: string;
}

export function formatAttachmentAlias(a: AttachmentAlias): string {
  const fits = (s: string) => Buffer.byteLength(s) <= MAX_ALIAS_BYTES;
  const withId = (id: string) => `${TAG} ${a.networkId} ${a.ifname} ${id}`;
  let base = withId(a.containerId);
  if (!fits(base)) base = withId(commentOwnerId(a.containerId));
  // Spaces and control characters never occur in a validated netns path's use here; refuse them anyway.
  const netns = a.netns && !/[\s]/u.test(a.netns) ? ` ${a.netns}` : "";
  return fits(base + netns) ? base + netns : base;
}

/** The attachment an alias names, or undefined when it is not one of ours. */
export function parseAttachmentAlias(alias: string | undefined): AttachmentAlias | undefined {
  if (!alias) return undefined;
  const parts = alias.split(" ");
  const [tag, networkId, ifname, containerId, netns] = parts;
  if (tag !== TAG || parts.length < 4 || parts.length > 5 || !networkId || !ifname || !containerId) return undefined;
  if (!/^[0-9a-f]{8}$/.test(networkId)) return undefined;
  return netns ? { networkId, ifname, containerId, netns } : { networkId, ifname, containerId };
}
