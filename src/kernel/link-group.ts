// Link groups (IFLA_GROUP): many links deleted in ONE RTM_DELLINK. Deleting a link waits for RCU
// grace periods (~20 ms each, kernel-notes.md); the kernel's group deletion unregisters all the
// group's links together, so they share those waits (50 veths: ~42 ms in total instead of ~20 ms each).
import { IFLA, NLM_F, RTM } from "./constants.js";
import { checkIfName } from "./link.js";
import { MessageBuilder } from "./netlink-message.js";
import { encodeIfInfo } from "./rtnl-headers.js";
import type { RtnlChannel } from "./types.js";

/** @throws RangeError for a group the kernel could not delete by (0 is every link's default group). */
export function checkLinkGroup(group: number): void {
  if (!Number.isInteger(group) || group < 1 || group > 0xffffffff) {
    throw new RangeError(`invalid link group ${group}: an integer from 1 to 4294967295 (0 is every link's group)`);
  }
}

/**
 * Puts a link (by name or ifindex) into a group. Cheap: no RCU wait.
 * @throws LinkNotFoundError when no such link exists.
 */
export function setLinkGroup(ch: RtnlChannel, nameOrIndex: string | number, group: number): void {
  checkLinkGroup(group);
  const m = new MessageBuilder(RTM.NEWLINK, NLM_F.ACK);
  if (typeof nameOrIndex === "number") m.header(encodeIfInfo({ index: nameOrIndex }));
  else {
    checkIfName(nameOrIndex);
    m.header(encodeIfInfo()).str(IFLA.IFNAME, nameOrIndex);
  }
  m.u32(IFLA.GROUP, group);
  ch.call(m, "setLinkGroup", `link ${nameOrIndex}`);
}

/**
 * Deletes every link of the group in this socket's netns in one request (a veth's peer goes with
 * it, wherever it lives).
 * @throws LinkNotFoundError when the group has no link (ENODEV).
 */
export function deleteLinkGroup(ch: RtnlChannel, group: number): void {
  checkLinkGroup(group);
  const m = new MessageBuilder(RTM.DELLINK, NLM_F.ACK).header(encodeIfInfo()).u32(IFLA.GROUP, group);
  ch.call(m, "deleteLinkGroup", `link group ${group}`);
}
