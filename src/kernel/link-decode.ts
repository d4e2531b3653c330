// RTM_NEWLINK replies -> Link.
import { IFF, IFLA, IFLA_BRPORT, IFLA_INFO, OPER_STATES } from "./constants.js";
import { formatMac } from "./ip.js";
import { attrNested, attrS32, attrStr, attrU8, attrU32, type NetlinkMessage, parseAttrs } from "./netlink-message.js";
import { decodeIfInfo, IFINFOMSG_LEN } from "./rtnl-headers.js";
import type { BridgePortState, Link } from "./types.js";

export function decodeLink(msg: NetlinkMessage): Link {
  const h = decodeIfInfo(msg.body);
  const a = parseAttrs(msg.body, IFINFOMSG_LEN);
  const info = attrNested(a, IFLA.LINKINFO);
  const mac = a.get(IFLA.ADDRESS);
  const link: Link = {
    index: h.index,
    name: attrStr(a, IFLA.IFNAME) ?? "",
    mtu: attrU32(a, IFLA.MTU) ?? 0,
    mac: mac ? formatMac(mac) : "",
    up: (h.flags & IFF.UP) !== 0,
    promisc: (h.flags & IFF.PROMISC) !== 0,
    operState: OPER_STATES[attrU8(a, IFLA.OPERSTATE) ?? 0] ?? "UNKNOWN",
    flags: h.flags,
  };
  const kind = info && attrStr(info, IFLA_INFO.KIND);
  if (kind) link.kind = kind;
  const master = attrU32(a, IFLA.MASTER);
  if (master) link.master = master;
  const alias = attrStr(a, IFLA.IFALIAS);
  if (alias) link.alias = alias;
  const linkIndex = attrU32(a, IFLA.LINK);
  // Devices without a lower link report IFLA_LINK = their own index.
  if (linkIndex !== undefined && linkIndex !== 0 && (linkIndex !== h.index || a.has(IFLA.LINK_NETNSID))) {
    link.linkIndex = linkIndex;
    if (kind === "veth") link.peerIndex = linkIndex;
  }
  const nsid = attrS32(a, IFLA.LINK_NETNSID);
  if (nsid !== undefined && nsid >= 0) link.linkNetnsId = nsid;
  if (info && attrStr(info, IFLA_INFO.SLAVE_KIND) === "bridge") {
    const port = attrNested(info, IFLA_INFO.SLAVE_DATA);
    if (port) link.bridgePort = decodeBridgePort(port);
  }
  return link;
}

function decodeBridgePort(a: Map<number, Buffer>): BridgePortState {
  return {
    hairpin: attrU8(a, IFLA_BRPORT.MODE) === 1,
    isolated: attrU8(a, IFLA_BRPORT.ISOLATED) === 1,
    learning: attrU8(a, IFLA_BRPORT.LEARNING) === 1,
  };
}
