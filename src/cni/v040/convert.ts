// Converters owned by the 0.3.x/0.4.0 shape (libcni types040): from 0.1.0/0.2.0 up, between its
// own versions, and down to 0.1.0/0.2.0 (which 1.x also goes through).
import type { ConverterRegistry } from "../convert.js";
import { CniError, CODE_INTERNAL } from "../errors.js";
import { cidrFamily } from "../ip.js";
import { basicRoute, copyDns, copyRoute, type Route } from "../types.js";
import { type IpConfigV020, type ResultV020, V020_VERSIONS, type V020Version } from "../v020/types.js";
import { copyResultV040, type IpConfigV040, type ResultV040, V040_VERSIONS, type V040Version } from "./types.js";

/** 0.1.0/0.2.0 → 0.3+: ip4 then ip6 become `ips`, their routes are flattened; no interfaces. */
export function convertFrom020(from: ResultV020, to: V040Version): ResultV040 {
  const ips: IpConfigV040[] = [];
  const routes: Route[] = [];
  for (const [version, cfg] of [
    ["4", from.ip4],
    ["6", from.ip6],
  ] as const) {
    if (!cfg) continue;
    const ip: IpConfigV040 = { version, address: cfg.ip };
    if (cfg.gateway) ip.gateway = cfg.gateway;
    ips.push(ip);
    for (const r of cfg.routes ?? []) routes.push(copyRoute(r));
  }
  return copyResultV040({ ips, routes, dns: from.dns }, to);
}

/**
 * 0.3+ → 0.1.0/0.2.0: the first v4 and the first v6 address survive; routes go to the family
 * with an address (dst/gw only); interfaces are dropped.
 * @throws CniError when no address is left ("no valid IP addresses").
 */
export function convertTo020(from: ResultV040, to: V020Version): ResultV020 {
  let ip4: IpConfigV020 | undefined;
  let ip6: IpConfigV020 | undefined;
  for (const ip of from.ips ?? []) {
    const cfg: IpConfigV020 = { ip: ip.address };
    if (ip.gateway) cfg.gateway = ip.gateway;
    if (ip.version === "4" && !ip4) ip4 = cfg;
    else if (ip.version === "6" && !ip6) ip6 = cfg;
    if (ip4 && ip6) break;
  }
  if (!ip4 && !ip6) {
    throw new CniError(CODE_INTERNAL, `cannot convert result to ${to}: no valid IP addresses`);
  }
  for (const r of from.routes ?? []) {
    const target = cidrFamily(r.dst) === 4 ? ip4 : ip6;
    if (!target) continue;
    target.routes ??= [];
    target.routes.push(basicRoute(r));
  }
  const out: ResultV020 = { cniVersion: to };
  if (ip4) out.ip4 = ip4;
  if (ip6) out.ip6 = ip6;
  const dns = copyDns(from.dns);
  if (dns) out.dns = dns;
  return out;
}

export function registerV040Converters(registry: ConverterRegistry): void {
  for (const from of V020_VERSIONS) {
    registry.register(from, V040_VERSIONS, (r, to) => convertFrom020(r as ResultV020, to as V040Version));
  }
  for (const from of V040_VERSIONS) {
    const same = V040_VERSIONS.filter((v) => v !== from);
    registry.register(from, same, (r, to) => copyResultV040(r as ResultV040, to as V040Version));
    registry.register(from, V020_VERSIONS, (r, to) => convertTo020(r as ResultV040, to as V020Version));
  }
}
