// Neighbour (ARP/NDP) entries and bridge/vxlan FDB entries: both are RTM_*NEIGH, told apart by
// ndm_family (AF_INET/AF_INET6 vs AF_BRIDGE).

import { familyAf } from "./address.js";
import { AF, NDA, NLM_F, NTF, NUD, RTM } from "./constants.js";
import { formatIp, formatMac, parseIp, parseMac } from "./ip.js";
import { attrU32, MessageBuilder, type NetlinkMessage, parseAttrs } from "./netlink-message.js";
import { decodeNd, encodeNd, NDMSG_LEN } from "./rtnl-headers.js";
import type { FdbEntry, FdbSpec, Neighbour, NeighbourSpec, RtnlChannel } from "./types.js";

function createFlags(replace: boolean | undefined): number {
  return NLM_F.ACK | NLM_F.CREATE | (replace ? NLM_F.REPLACE : NLM_F.EXCL);
}

export function addNeighbour(ch: RtnlChannel, n: NeighbourSpec): void {
  const ip = parseIp(n.ip);
  const m = new MessageBuilder(RTM.NEWNEIGH, createFlags(n.replace))
    .header(
      encodeNd({ family: familyAf(ip.family), index: n.index, state: n.permanent ? NUD.PERMANENT : NUD.REACHABLE }),
    )
    .attr(NDA.DST, ip.bytes)
    .attr(NDA.LLADDR, parseMac(n.mac));
  ch.call(m, "addNeighbour", `neighbour ${n.ip} on link ${n.index}`);
}

export function deleteNeighbour(ch: RtnlChannel, n: { index: number; ip: string }): void {
  const ip = parseIp(n.ip);
  const m = new MessageBuilder(RTM.DELNEIGH, NLM_F.ACK)
    .header(encodeNd({ family: familyAf(ip.family), index: n.index }))
    .attr(NDA.DST, ip.bytes);
  ch.call(m, "deleteNeighbour", `neighbour ${n.ip} on link ${n.index}`);
}

/** IPv4 and IPv6 neighbours, of one link when index is given. */
export function listNeighbours(ch: RtnlChannel, index?: number): Neighbour[] {
  const out: Neighbour[] = [];
  // One dump per family: an AF_UNSPEC dump would also walk every FDB.
  for (const family of [AF.INET, AF.INET6]) {
    const m = new MessageBuilder(RTM.GETNEIGH, NLM_F.DUMP).header(encodeNd({ family }));
    for (const r of ch.call(m, "listNeighbours", "neighbours")) {
      const n = r.type === RTM.NEWNEIGH ? decodeNeighbour(r) : null;
      if (n && (index === undefined || n.index === index)) out.push(n);
    }
  }
  return out;
}

export function decodeNeighbour(msg: NetlinkMessage): Neighbour | null {
  const h = decodeNd(msg.body);
  if (h.family !== AF.INET && h.family !== AF.INET6) return null;
  const a = parseAttrs(msg.body, NDMSG_LEN);
  const dst = a.get(NDA.DST);
  if (!dst) return null;
  const n: Neighbour = {
    index: h.index,
    ip: formatIp(dst),
    family: h.family === AF.INET ? 4 : 6,
    state: h.state,
    permanent: (h.state & NUD.PERMANENT) !== 0,
  };
  const mac = a.get(NDA.LLADDR);
  if (mac) n.mac = formatMac(mac);
  return n;
}

function fdbRequest(type: number, flags: number, f: FdbSpec): MessageBuilder {
  // Like `bridge fdb`: the device's own table unless told otherwise.
  const ntf = (f.self || !f.master ? NTF.SELF : 0) | (f.master ? NTF.MASTER : 0);
  const m = new MessageBuilder(type, flags)
    .header(encodeNd({ family: AF.BRIDGE, index: f.index, state: NUD.PERMANENT, flags: ntf }))
    .attr(NDA.LLADDR, parseMac(f.mac));
  if (f.dst !== undefined) m.attr(NDA.DST, parseIp(f.dst).bytes);
  return m;
}

function fdbObject(f: FdbSpec): string {
  return `fdb ${f.mac}${f.dst ? ` dst ${f.dst}` : ""} on link ${f.index}`;
}

export function addFdb(ch: RtnlChannel, f: FdbSpec): void {
  ch.call(fdbRequest(RTM.NEWNEIGH, createFlags(f.replace), f), "addFdb", fdbObject(f));
}

export function deleteFdb(ch: RtnlChannel, f: FdbSpec): void {
  ch.call(fdbRequest(RTM.DELNEIGH, NLM_F.ACK, f), "deleteFdb", fdbObject(f));
}

/** FDB entries (bridge ports and vxlan devices), of one link when index is given. */
export function listFdb(ch: RtnlChannel, index?: number): FdbEntry[] {
  const m = new MessageBuilder(RTM.GETNEIGH, NLM_F.DUMP).header(encodeNd({ family: AF.BRIDGE }));
  const out: FdbEntry[] = [];
  for (const r of ch.call(m, "listFdb", "fdb")) {
    const e = r.type === RTM.NEWNEIGH ? decodeFdb(r) : null;
    if (e && (index === undefined || e.index === index)) out.push(e);
  }
  return out;
}

export function decodeFdb(msg: NetlinkMessage): FdbEntry | null {
  const h = decodeNd(msg.body);
  if (h.family !== AF.BRIDGE) return null;
  const a = parseAttrs(msg.body, NDMSG_LEN);
  const mac = a.get(NDA.LLADDR);
  if (!mac) return null;
  const e: FdbEntry = {
    index: h.index,
    mac: formatMac(mac),
    self: (h.flags & NTF.SELF) !== 0,
    permanent: (h.state & NUD.PERMANENT) !== 0,
    state: h.state,
    flags: h.flags,
  };
  const dst = a.get(NDA.DST);
  if (dst) e.dst = formatIp(dst);
  const master = attrU32(a, NDA.MASTER);
  if (master) e.master = master;
  return e;
}
