// Routes (RTM_NEWROUTE / RTM_DELROUTE / RTM_GETROUTE), with metrics (mtu, advmss).

import { familyAf } from "./address.js";
import {
  AF,
  NLM_F,
  RT_TABLE,
  RTA,
  RTAX,
  RTM,
  RTN,
  RTNH_F,
  RTPROT,
  SCOPES,
  type Scope,
  scopeName,
} from "./constants.js";
import { type Family, formatIp, parseCidr, parseIp } from "./ip.js";
import { attrNested, attrU32, MessageBuilder, type NetlinkMessage, parseAttrs } from "./netlink-message.js";
import { decodeRt, encodeRt, RTMSG_LEN } from "./rtnl-headers.js";
import type { Route, RouteSpec, RtnlChannel } from "./types.js";

function routeRequest(type: number, flags: number, r: RouteSpec, forDelete: boolean): MessageBuilder {
  const dst = parseCidr(r.dst);
  const table = r.table ?? RT_TABLE.MAIN;
  // A delete with scope "nowhere" and protocol 0 matches a route whatever its scope/protocol.
  const scope =
    r.scope !== undefined ? scopeValue(r.scope) : forDelete ? SCOPES.nowhere : r.gw ? SCOPES.global : SCOPES.link;
  const m = new MessageBuilder(type, flags).header(
    encodeRt({
      family: familyAf(dst.family),
      dstLen: dst.prefixLen,
      // rtm_table is 8 bits: larger ids travel only in RTA_TABLE.
      table: table < 256 ? table : RT_TABLE.UNSPEC,
      protocol: forDelete ? RTPROT.UNSPEC : RTPROT.BOOT,
      scope,
      type: forDelete ? RTN.UNSPEC : RTN.UNICAST,
      flags: r.onlink && !forDelete ? RTNH_F.ONLINK : 0,
    }),
  );
  if (dst.prefixLen > 0) m.attr(RTA.DST, dst.bytes);
  m.u32(RTA.TABLE, table);
  if (r.gw !== undefined) {
    const gw = parseIp(r.gw);
    if (gw.family !== dst.family) throw new TypeError(`gateway ${r.gw} is not in the family of ${r.dst}`);
    m.attr(RTA.GATEWAY, gw.bytes);
  }
  if (r.index !== undefined) m.u32(RTA.OIF, r.index);
  if (r.priority !== undefined) m.u32(RTA.PRIORITY, r.priority);
  if (r.src !== undefined) m.attr(RTA.PREFSRC, parseIp(r.src).bytes);
  if (r.mtu !== undefined || r.advmss !== undefined) {
    m.nest(RTA.METRICS, (b) => {
      if (r.mtu !== undefined) b.u32(RTAX.MTU, r.mtu);
      if (r.advmss !== undefined) b.u32(RTAX.ADVMSS, r.advmss);
    });
  }
  return m;
}

function scopeValue(s: Scope | number): number {
  const v = typeof s === "number" ? s : SCOPES[s];
  if (v === undefined || !Number.isInteger(v) || v < 0 || v > 255) throw new RangeError(`unknown route scope "${s}"`);
  return v;
}

function describe(r: RouteSpec): string {
  return `route ${r.dst}${r.gw ? ` via ${r.gw}` : ""}${r.index !== undefined ? ` dev ${r.index}` : ""}${r.onlink ? " onlink" : ""}`;
}

export function buildRouteRequest(r: RouteSpec): MessageBuilder {
  const mode = r.replace ? NLM_F.REPLACE : NLM_F.EXCL;
  return routeRequest(RTM.NEWROUTE, NLM_F.ACK | NLM_F.CREATE | mode, r, false);
}

export function addRoute(ch: RtnlChannel, r: RouteSpec): void {
  ch.call(buildRouteRequest(r), "addRoute", describe(r));
}

export function deleteRoute(ch: RtnlChannel, r: RouteSpec): void {
  ch.call(routeRequest(RTM.DELROUTE, NLM_F.ACK, r, true), "deleteRoute", describe(r));
}

/** Routes of one table (default main; 0 = every table), both families unless one is given. */
export function listRoutes(ch: RtnlChannel, o: { family?: Family; table?: number } = {}): Route[] {
  const family = o.family === undefined ? AF.UNSPEC : familyAf(o.family);
  const table = o.table ?? RT_TABLE.MAIN;
  const m = new MessageBuilder(RTM.GETROUTE, NLM_F.DUMP).header(encodeRt({ family }));
  return ch
    .call(m, "listRoutes", "routes")
    .filter((r) => r.type === RTM.NEWROUTE)
    .map(decodeRoute)
    .filter((r): r is Route => r !== null && (table === 0 || r.table === table));
}

export function decodeRoute(msg: NetlinkMessage): Route | null {
  const h = decodeRt(msg.body);
  if (h.family !== AF.INET && h.family !== AF.INET6) return null;
  const a = parseAttrs(msg.body, RTMSG_LEN);
  const family = h.family === AF.INET ? 4 : 6;
  const dst = a.get(RTA.DST);
  const r: Route = {
    family,
    dst: `${dst ? formatIp(dst) : family === 4 ? "0.0.0.0" : "::"}/${h.dstLen}`,
    scope: scopeName(h.scope),
    table: attrU32(a, RTA.TABLE) ?? h.table,
    protocol: h.protocol,
    type: h.type,
  };
  if (h.flags & RTNH_F.ONLINK) r.onlink = true;
  const gw = a.get(RTA.GATEWAY);
  if (gw) r.gw = formatIp(gw);
  const src = a.get(RTA.PREFSRC);
  if (src) r.src = formatIp(src);
  const index = attrU32(a, RTA.OIF);
  if (index !== undefined) r.index = index;
  const priority = attrU32(a, RTA.PRIORITY);
  if (priority !== undefined) r.priority = priority;
  const metrics = attrNested(a, RTA.METRICS);
  const mtu = metrics && attrU32(metrics, RTAX.MTU);
  if (mtu !== undefined) r.mtu = mtu;
  const advmss = metrics && attrU32(metrics, RTAX.ADVMSS);
  if (advmss !== undefined) r.advmss = advmss;
  return r;
}
