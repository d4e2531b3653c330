// Creating links: bridge, veth, macvlan, vxlan. Every create is one RTM_NEWLINK with
// NLM_F_CREATE|NLM_F_EXCL, so an existing name fails with EEXIST instead of being reused.
import {
  IFF,
  IFLA,
  IFLA_INFO,
  IFLA_MACVLAN_MODE,
  IFLA_VXLAN,
  MACVLAN_MODE,
  NLM_F,
  RTM,
  VETH_INFO_PEER,
} from "./constants.js";
import { KernelError } from "./errors.js";
import { parseIp, parseMac } from "./ip.js";
import { checkIfName, getLink } from "./link.js";
import { decodeLink } from "./link-decode.js";
import { MessageBuilder } from "./netlink-message.js";
import { encodeIfInfo } from "./rtnl-headers.js";
import type { BridgeOptions, Link, MacvlanOptions, RtnlChannel, VethOptions, VxlanOptions } from "./types.js";

const CREATE = NLM_F.ACK | NLM_F.CREATE | NLM_F.EXCL;

interface Common {
  name: string;
  mtu?: number | undefined;
  mac?: string | undefined;
  up?: boolean | undefined;
}

/** A create request with the attributes every kind shares. */
function newLink(o: Common, extraFlags = 0): MessageBuilder {
  checkIfName(o.name);
  const up = o.up ? { flags: IFF.UP, change: IFF.UP } : {};
  const m = new MessageBuilder(RTM.NEWLINK, CREATE | extraFlags).header(encodeIfInfo(up)).str(IFLA.IFNAME, o.name);
  if (o.mtu !== undefined) m.u32(IFLA.MTU, o.mtu);
  if (o.mac !== undefined) m.attr(IFLA.ADDRESS, parseMac(o.mac));
  return m;
}

/** Reads a just-created link back; it vanishing in between is reported, not hidden. */
function readBack(ch: RtnlChannel, name: string, what: string): Link {
  const link = getLink(ch, name);
  if (!link) throw new Error(`${what} ${name} disappeared right after it was created`);
  return link;
}

export function addBridge(ch: RtnlChannel, o: BridgeOptions): Link {
  const m = newLink(o).nest(IFLA.LINKINFO, (b) => b.str(IFLA_INFO.KIND, "bridge"));
  ch.call(m, "addBridge", `bridge ${o.name}`);
  return readBack(ch, o.name, "bridge");
}

/** The RTM_NEWLINK that creates a veth pair (exported for encoding tests). */
export function buildVethRequest(o: VethOptions, extraFlags = 0): MessageBuilder {
  checkIfName(o.peerName);
  const m = newLink(o, extraFlags);
  if (o.master !== undefined) m.u32(IFLA.MASTER, o.master);
  m.nest(IFLA.LINKINFO, (li) => {
    li.str(IFLA_INFO.KIND, "veth");
    li.nest(IFLA_INFO.DATA, (data) => {
      // VETH_INFO_PEER carries a whole ifinfomsg followed by the peer's own IFLA_* attributes.
      data.begin(VETH_INFO_PEER);
      data.header(encodeIfInfo());
      data.str(IFLA.IFNAME, o.peerName);
      if (o.peerNetnsFd !== undefined) data.u32(IFLA.NET_NS_FD, o.peerNetnsFd);
      if (o.mtu !== undefined) data.u32(IFLA.MTU, o.mtu);
      if (o.peerMac !== undefined) data.attr(IFLA.ADDRESS, parseMac(o.peerMac));
      data.end();
    });
  });
  return m;
}

/**
 * Creates a veth pair in one request: the host end here (with master and up), the peer born
 * inside peerNetnsFd under its final name, so nothing is moved or renamed afterwards.
 * @returns the host end as the kernel echoed it (NLM_F_ECHO; `master` as requested, since the
 *   kernel echoes before it enslaves), or read back where the kernel does not echo (< 6.2).
 */
export function addVeth(ch: RtnlChannel, o: VethOptions): Link {
  const m = buildVethRequest(o, NLM_F.ECHO);
  const replies = ch.call(m, "addVeth", `veth ${o.name}`);
  // The echo saves a GETLINK, one more turn for RTNL (which every netns on the machine shares).
  const echo = replies.map((r) => (r.type === RTM.NEWLINK ? decodeLink(r) : undefined)).find((l) => l?.name === o.name);
  if (!echo) return readBack(ch, o.name, "veth");
  return o.master !== undefined ? { ...echo, master: o.master } : echo;
}

/** Creates a macvlan on parentIndex; with netnsFd it is born inside that netns (nothing to return here). */
export function addMacvlan(ch: RtnlChannel, o: MacvlanOptions): void {
  const mode = MACVLAN_MODE[o.mode];
  if (mode === undefined) throw new RangeError(`unknown macvlan mode "${o.mode}"`);
  const m = newLink(o).u32(IFLA.LINK, o.parentIndex);
  if (o.netnsFd !== undefined) m.u32(IFLA.NET_NS_FD, o.netnsFd);
  m.nest(IFLA.LINKINFO, (li) => {
    li.str(IFLA_INFO.KIND, "macvlan");
    li.nest(IFLA_INFO.DATA, (d) => d.u32(IFLA_MACVLAN_MODE, mode));
  });
  ch.call(m, "addMacvlan", `macvlan ${o.name}`);
}

export function addVxlan(ch: RtnlChannel, o: VxlanOptions): Link {
  if (!Number.isInteger(o.vni) || o.vni < 0 || o.vni > 0xffffff)
    throw new RangeError(`vxlan vni ${o.vni} out of 0..16777215`);
  const m = newLink(o).nest(IFLA.LINKINFO, (li) => {
    li.str(IFLA_INFO.KIND, "vxlan");
    li.nest(IFLA_INFO.DATA, (d) => {
      d.u32(IFLA_VXLAN.ID, o.vni);
      if (o.group !== undefined) {
        const g = parseIp(o.group);
        d.attr(g.family === 4 ? IFLA_VXLAN.GROUP : IFLA_VXLAN.GROUP6, g.bytes);
      }
      if (o.local !== undefined) {
        const l = parseIp(o.local);
        d.attr(l.family === 4 ? IFLA_VXLAN.LOCAL : IFLA_VXLAN.LOCAL6, l.bytes);
      }
      if (o.dev !== undefined) d.u32(IFLA_VXLAN.LINK, o.dev);
      if (o.port !== undefined) d.u16be(IFLA_VXLAN.PORT, o.port);
      if (o.learning !== undefined) d.u8(IFLA_VXLAN.LEARNING, o.learning ? 1 : 0);
    });
  });
  ch.call(m, "addVxlan", `vxlan ${o.name}`);
  return readBack(ch, o.name, "vxlan");
}

/** True when e is the kernel refusing a create because the name is taken. */
export function isExists(e: unknown): e is KernelError {
  return e instanceof KernelError && e.code === "EEXIST";
}
