// Reading, changing and deleting links (RTM_GETLINK / RTM_NEWLINK / RTM_DELLINK).
import { AF, IFF, IFLA, IFLA_BRPORT, NLM_F, RTM } from "./constants.js";
import { LinkNotFoundError } from "./errors.js";
import { parseMac } from "./ip.js";
import { decodeLink } from "./link-decode.js";
import { MessageBuilder } from "./netlink-message.js";
import { encodeIfInfo } from "./rtnl-headers.js";
import type { BridgePortOptions, Link, RtnlChannel, SetLinkOptions } from "./types.js";

const IFNAMSIZ = 16;

/** @throws RangeError for a name the kernel would refuse (empty, > 15 bytes, "/", whitespace, ":"). */
export function checkIfName(name: string): void {
  const bytes = Buffer.byteLength(name);
  if (bytes === 0 || bytes >= IFNAMSIZ || name === "." || name === ".." || /[/\s:]/.test(name)) {
    throw new RangeError(`invalid interface name "${name}": 1-15 bytes, no "/", ":" or whitespace`);
  }
}

export function getLink(ch: RtnlChannel, name: string): Link | null {
  checkIfName(name);
  const m = new MessageBuilder(RTM.GETLINK, NLM_F.ACK).header(encodeIfInfo()).str(IFLA.IFNAME, name);
  return getOne(ch, m, `link ${name}`);
}

export function getLinkByIndex(ch: RtnlChannel, index: number): Link | null {
  const m = new MessageBuilder(RTM.GETLINK, NLM_F.ACK).header(encodeIfInfo({ index }));
  return getOne(ch, m, `link ${index}`);
}

function getOne(ch: RtnlChannel, m: MessageBuilder, object: string): Link | null {
  try {
    const [reply] = ch.call(m, "getLink", object);
    return reply ? decodeLink(reply) : null;
  } catch (e) {
    if (e instanceof LinkNotFoundError) return null;
    throw e;
  }
}

export function listLinks(ch: RtnlChannel): Link[] {
  const m = new MessageBuilder(RTM.GETLINK, NLM_F.DUMP).header(encodeIfInfo());
  return ch
    .call(m, "listLinks", "links")
    .filter((r) => r.type === RTM.NEWLINK)
    .map(decodeLink);
}

export function setLink(ch: RtnlChannel, index: number, o: SetLinkOptions): void {
  // ifi_change selects which ifi_flags bits to apply; the others stay as they are.
  let flags = 0;
  let change = 0;
  if (o.up !== undefined) {
    change |= IFF.UP;
    if (o.up) flags |= IFF.UP;
  }
  if (o.promisc !== undefined) {
    change |= IFF.PROMISC;
    if (o.promisc) flags |= IFF.PROMISC;
  }
  const m = new MessageBuilder(RTM.NEWLINK, NLM_F.ACK).header(encodeIfInfo({ index, flags, change }));
  if (o.name !== undefined) {
    checkIfName(o.name);
    m.str(IFLA.IFNAME, o.name);
  }
  if (o.mtu !== undefined) m.u32(IFLA.MTU, o.mtu);
  if (o.mac !== undefined) m.attr(IFLA.ADDRESS, parseMac(o.mac));
  if (o.master !== undefined) m.u32(IFLA.MASTER, o.master);
  if (o.netnsFd !== undefined) m.u32(IFLA.NET_NS_FD, o.netnsFd);
  if (o.alias !== undefined) {
    if (Buffer.byteLength(o.alias) > 255)
      throw new RangeError(`link alias longer than 255 bytes: ${o.alias.slice(0, 80)}...`);
    m.str(IFLA.IFALIAS, o.alias);
  }
  ch.call(m, "setLink", `link ${index}`);
}

/** @throws LinkNotFoundError when no such link exists. */
export function deleteLink(ch: RtnlChannel, nameOrIndex: string | number): void {
  const m = new MessageBuilder(RTM.DELLINK, NLM_F.ACK);
  if (typeof nameOrIndex === "number") {
    m.header(encodeIfInfo({ index: nameOrIndex }));
  } else {
    checkIfName(nameOrIndex);
    m.header(encodeIfInfo()).str(IFLA.IFNAME, nameOrIndex);
  }
  ch.call(m, "deleteLink", `link ${nameOrIndex}`);
}

/** Bridge port flags, sent as IFLA_PROTINFO with AF_BRIDGE (what `bridge link set` does). */
export function setBridgePort(ch: RtnlChannel, index: number, o: BridgePortOptions): void {
  const m = new MessageBuilder(RTM.SETLINK, NLM_F.ACK).header(encodeIfInfo({ family: AF.BRIDGE, index }));
  m.nest(IFLA.PROTINFO, (b) => {
    if (o.hairpin !== undefined) b.u8(IFLA_BRPORT.MODE, o.hairpin ? 1 : 0);
    if (o.isolated !== undefined) b.u8(IFLA_BRPORT.ISOLATED, o.isolated ? 1 : 0);
    if (o.learning !== undefined) b.u8(IFLA_BRPORT.LEARNING, o.learning ? 1 : 0);
  });
  ch.call(m, "setBridgePort", `bridge port ${index}`);
}
