// Result shape of spec 0.1.0 and 0.2.0: at most one address per family, no interfaces.
// Go prints `"dns":{}` even when empty (a struct-valued field), and so do we.
import { z } from "zod";
import { cidrString, dnsSchema, ipString, routeSchema } from "../schemas.js";
import { copyDns, copyRoute, type Dns, nonEmpty, type Route } from "../types.js";

/** Versions this shape serves. */
export const V020_VERSIONS = ["0.1.0", "0.2.0"] as const;
export type V020Version = (typeof V020_VERSIONS)[number];

export interface IpConfigV020 {
  /** "ip/prefix" */
  ip: string;
  gateway?: string;
  routes?: Route[];
}

export interface ResultV020 {
  cniVersion: V020Version;
  ip4?: IpConfigV020;
  ip6?: IpConfigV020;
  dns?: Dns;
}

export function isV020Version(v: string): v is V020Version {
  return (V020_VERSIONS as readonly string[]).includes(v);
}

const ipConfigSchema = z.object({
  ip: cidrString,
  gateway: z.union([ipString, z.literal("")]).optional(),
  routes: z.array(routeSchema).optional(),
});

/** Validates the JSON shape; `cniVersion` is checked by the caller (result.ts). */
export const resultV020Schema = z.object({
  ip4: ipConfigSchema.optional(),
  ip6: ipConfigSchema.optional(),
  dns: dnsSchema.optional(),
});

function copyIpConfig(c: IpConfigV020): IpConfigV020 {
  const out: IpConfigV020 = { ip: c.ip };
  if (c.gateway) out.gateway = c.gateway;
  const routes = nonEmpty(c.routes?.map(copyRoute));
  if (routes) out.routes = routes;
  return out;
}

/** A deep copy in canonical form: Go's field order, empty fields dropped. */
export function copyResultV020(r: Omit<ResultV020, "cniVersion">, cniVersion: V020Version): ResultV020 {
  const out: ResultV020 = { cniVersion };
  if (r.ip4) out.ip4 = copyIpConfig(r.ip4);
  if (r.ip6) out.ip6 = copyIpConfig(r.ip6);
  const dns = copyDns(r.dns);
  if (dns) out.dns = dns;
  return out;
}

/** The printed object: canonical form plus `"dns":{}` when empty. */
export function resultV020ToJson(r: ResultV020): Record<string, unknown> {
  const c = copyResultV020(r, r.cniVersion);
  return { ...c, dns: c.dns ?? {} };
}
