// Numeric constants of the rtnetlink ABI (linux/netlink.h, rtnetlink.h, if_link.h, if_addr.h,
// neighbour.h, veth.h). Values were printed from the kernel headers by a C program; they are
// part of the stable uapi and never change.

export const AF = { UNSPEC: 0, INET: 2, BRIDGE: 7, INET6: 10 } as const;

/** nlmsghdr.nlmsg_type values. */
export const NLMSG = { NOOP: 1, ERROR: 2, DONE: 3, OVERRUN: 4 } as const;

export const RTM = {
  NEWLINK: 16,
  DELLINK: 17,
  GETLINK: 18,
  SETLINK: 19,
  NEWADDR: 20,
  DELADDR: 21,
  GETADDR: 22,
  NEWROUTE: 24,
  DELROUTE: 25,
  GETROUTE: 26,
  NEWNEIGH: 28,
  DELNEIGH: 29,
  GETNEIGH: 30,
} as const;

/** nlmsghdr.nlmsg_flags. */
export const NLM_F = {
  REQUEST: 0x1,
  MULTI: 0x2,
  ACK: 0x4,
  /** Ask the kernel to send the request's notification back to us too (RTM_NEWLINK: Linux >= 6.2). */
  ECHO: 0x8,
  DUMP_INTR: 0x10,
  DUMP: 0x300,
  REPLACE: 0x100,
  EXCL: 0x200,
  CREATE: 0x400,
  APPEND: 0x800,
} as const;

/** Set on a nested attribute's type; masked off when decoding. */
export const NLA_F_NESTED = 0x8000;
export const NLA_TYPE_MASK = 0x3fff;

export const IFF = { UP: 0x1, PROMISC: 0x100, LOWER_UP: 0x10000 } as const;

export const IFLA = {
  ADDRESS: 1,
  BROADCAST: 2,
  IFNAME: 3,
  MTU: 4,
  LINK: 5,
  MASTER: 10,
  PROTINFO: 12,
  OPERSTATE: 16,
  IFALIAS: 20,
  LINKINFO: 18,
  NET_NS_FD: 28,
  /** The link's group (u32; 0 is everyone's default): RTM_DELLINK with only a group deletes all its links. */
  GROUP: 27,
  EXT_MASK: 29,
  LINK_NETNSID: 37,
} as const;

export const IFLA_INFO = { KIND: 1, DATA: 2, SLAVE_KIND: 4, SLAVE_DATA: 5 } as const;
export const VETH_INFO_PEER = 1;

/** Bridge port attributes: in IFLA_PROTINFO (AF_BRIDGE) and in IFLA_INFO_SLAVE_DATA. */
export const IFLA_BRPORT = { MODE: 4, LEARNING: 8, ISOLATED: 33 } as const;

export const IFLA_MACVLAN_MODE = 1;
export const MACVLAN_MODE = { private: 1, vepa: 2, bridge: 4, passthru: 8 } as const;

export const IFLA_VXLAN = {
  ID: 1,
  GROUP: 2,
  LINK: 3,
  LOCAL: 4,
  LEARNING: 7,
  PORT: 15,
  GROUP6: 16,
  LOCAL6: 17,
} as const;

export const IFA = { ADDRESS: 1, LOCAL: 2, LABEL: 3, BROADCAST: 4, FLAGS: 8 } as const;
export const IFA_F = { NODAD: 0x2, PERMANENT: 0x80 } as const;

export const RTA = {
  DST: 1,
  SRC: 2,
  OIF: 4,
  GATEWAY: 5,
  PRIORITY: 6,
  PREFSRC: 7,
  METRICS: 8,
  TABLE: 15,
} as const;
export const RTAX = { MTU: 2, ADVMSS: 8 } as const;

export const RT_TABLE = { UNSPEC: 0, MAIN: 254, LOCAL: 255 } as const;
export const RTPROT = { UNSPEC: 0, KERNEL: 2, BOOT: 3, STATIC: 4 } as const;
export const RTN = { UNSPEC: 0, UNICAST: 1, LOCAL: 2 } as const;

export const NDA = { DST: 1, LLADDR: 2, MASTER: 9, VNI: 7, IFINDEX: 8 } as const;
export const NUD = { REACHABLE: 0x2, STALE: 0x4, NOARP: 0x40, PERMANENT: 0x80 } as const;
/** rtm_flags: RTNH_F_ONLINK, a gateway reachable on the link although no route covers it (vxlan peers). */
export const RTNH_F = { ONLINK: 0x4 } as const;

export const NTF = { SELF: 0x2, MASTER: 0x4, EXT_LEARNED: 0x10 } as const;

/** Route and address scopes, by the names iproute2 prints. */
export const SCOPES = { global: 0, site: 200, link: 253, host: 254, nowhere: 255 } as const;
export type Scope = keyof typeof SCOPES;

export function scopeName(value: number): Scope | number {
  for (const [name, v] of Object.entries(SCOPES)) if (v === value) return name as Scope;
  return value;
}

/** IFLA_OPERSTATE values (RFC 2863), as iproute2 prints them. */
export const OPER_STATES = ["UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"] as const;

/** Positive errno values the kernel layer reacts to. */
export const ERRNO = { ENOENT: 2, ESRCH: 3, EEXIST: 17, ENODEV: 19, EINVAL: 22 } as const;
