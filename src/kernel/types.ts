// Shapes shared by the kernel layer's public API. Indexes are ifindexes in the netns of the
// Rtnl that reads or writes them.
import type { Scope } from "./constants.js";
import type { Family } from "./ip.js";
import type { MessageBuilder, NetlinkMessage } from "./netlink-message.js";

/**
 * What link/address/route code needs from a socket: send one request, get its replies.
 * Failures come back as KernelError about `object` (the Rtnl wraps the addon's errors).
 */
export interface RtnlChannel {
  call(msg: MessageBuilder, op: string, object: string): NetlinkMessage[];
}

export interface BridgePortState {
  hairpin: boolean;
  isolated: boolean;
  learning: boolean;
}

export interface Link {
  index: number;
  name: string;
  /** IFLA_INFO_KIND: "veth", "bridge", "vxlan", "macvlan"...; absent for plain devices (lo). */
  kind?: string;
  mtu: number;
  /** "aa:bb:cc:dd:ee:ff"; "" when the link has no hardware address. */
  mac: string;
  /** IFF_UP (administratively up). */
  up: boolean;
  /** IFF_PROMISC. */
  promisc: boolean;
  /** "UP", "DOWN", "LOWERLAYERDOWN", "UNKNOWN"... */
  operState: string;
  /** ifindex of the bridge this link is a port of. */
  master?: number;
  /** For a veth: the peer's ifindex (in the peer's netns, see linkNetnsId). */
  peerIndex?: number;
  /** IFLA_LINK as sent: the veth peer, or the parent of a macvlan/vxlan. */
  linkIndex?: number;
  /** The netns id (in this netns) of the netns holding linkIndex, when it is another one. */
  linkNetnsId?: number;
  /** Present when the link is a bridge port. */
  bridgePort?: BridgePortState;
  /** Raw ifi_flags. */
  flags: number;
  /** IFLA_IFALIAS, when set. */
  alias?: string;
}

export interface BridgeOptions {
  name: string;
  mtu?: number;
  mac?: string;
  up?: boolean;
}

export interface VethOptions {
  /** Host-side name (in the Rtnl's netns). */
  name: string;
  /** Container-side name, created directly inside peerNetnsFd (or beside the host end). */
  peerName: string;
  /** fd of the netns the peer is born in (see openNetnsFd); omitted: the Rtnl's netns. */
  peerNetnsFd?: number;
  mtu?: number;
  mac?: string;
  peerMac?: string;
  /** Bridge ifindex for the host end, set in the same request. */
  master?: number;
  /** Host end up, in the same request. (The peer cannot be: the kernel opens it before the pair is linked, ENOTCONN.) */
  up?: boolean;
}

export type MacvlanMode = "bridge" | "private" | "vepa" | "passthru";

export interface MacvlanOptions {
  name: string;
  parentIndex: number;
  mode: MacvlanMode;
  /** Born directly inside this netns (fd from openNetnsFd); omitted: the Rtnl's netns. */
  netnsFd?: number;
  mtu?: number;
  mac?: string;
}

export interface VxlanOptions {
  name: string;
  vni: number;
  /** Local (source) address. */
  local?: string;
  /** Multicast group or unicast remote. */
  group?: string;
  /** ifindex of the underlay device. */
  dev?: number;
  /** UDP destination port; the kernel default is 8472, IANA's 4789. */
  port?: number;
  learning?: boolean;
  mtu?: number;
  /** A fixed VTEP MAC (peers keep permanent entries for it: a random one would go stale on re-create). */
  mac?: string;
  up?: boolean;
}

export interface SetLinkOptions {
  up?: boolean;
  promisc?: boolean;
  /** Bridge ifindex; 0 removes the link from its bridge. */
  master?: number;
  mtu?: number;
  mac?: string;
  name?: string;
  /** Moves the link into this netns (slow: prefer creating links in place). */
  netnsFd?: number;
  /** IFLA_IFALIAS, at most 255 bytes ("" clears it). The kernel ignores it at creation. */
  alias?: string;
}

export interface BridgePortOptions {
  hairpin?: boolean;
  isolated?: boolean;
  learning?: boolean;
}

export interface AddressOptions {
  /** IFA_F_NODAD: an IPv6 address usable at once, without duplicate address detection. */
  noDad?: boolean;
}

export interface Address {
  index: number;
  /** "10.0.0.2/24", "fd00::2/64". */
  address: string;
  family: Family;
  scope: Scope | number;
  /** IFA_F_* flags (e.g. 0x80 permanent, 0x40 tentative). */
  flags: number;
}

export interface RouteSpec {
  /** "0.0.0.0/0", "::/0" or any cidr. */
  dst: string;
  gw?: string;
  /** Output ifindex. */
  index?: number;
  /** Name or RT_SCOPE_* number. Default: "global" with a gateway, "link" without (as iproute2 does). */
  scope?: Scope | number;
  /** Default: main (254). */
  table?: number;
  priority?: number;
  mtu?: number;
  advmss?: number;
  /** Preferred source address. */
  src?: string;
  /** RTNH_F_ONLINK: the gateway is on the link even if no route covers it (a vxlan peer's VTEP address). */
  onlink?: boolean;
  /** Replace a route to the same destination instead of failing with EEXIST (addRoute only). */
  replace?: boolean;
}

export interface Route {
  family: Family;
  dst: string;
  gw?: string;
  index?: number;
  scope: Scope | number;
  table: number;
  priority?: number;
  mtu?: number;
  advmss?: number;
  src?: string;
  /** RTPROT_*: 2 kernel, 3 boot, 4 static. */
  protocol: number;
  /** RTN_*: 1 unicast, 2 local... */
  type: number;
  /** RTNH_F_ONLINK was set. */
  onlink?: boolean;
}

export interface NeighbourSpec {
  index: number;
  ip: string;
  mac: string;
  /** NUD_PERMANENT instead of NUD_REACHABLE. */
  permanent?: boolean;
  /** Replace an existing entry instead of failing with EEXIST. */
  replace?: boolean;
}

export interface Neighbour {
  index: number;
  ip: string;
  family: Family;
  mac?: string;
  /** NUD_* bits. */
  state: number;
  permanent: boolean;
}

export interface FdbSpec {
  /** The port (or vxlan device) the entry belongs to. */
  index: number;
  mac: string;
  /** Remote VTEP address (vxlan). */
  dst?: string;
  /** NTF_SELF: the device's own table (default when neither self nor master is set). */
  self?: boolean;
  /** NTF_MASTER: the bridge's table. */
  master?: boolean;
  /** Replace an existing entry instead of failing with EEXIST. */
  replace?: boolean;
}

export interface FdbEntry {
  index: number;
  mac: string;
  dst?: string;
  /** ifindex of the bridge holding the entry. */
  master?: number;
  self: boolean;
  permanent: boolean;
  state: number;
  flags: number;
}
