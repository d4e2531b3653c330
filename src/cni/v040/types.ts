// Result shape of spec 0.3.0, 0.3.1 and 0.4.0 (0.4.0 changed no types). Every IP carries
// `version` ("4"/"6"); Go prints `"dns":{}` even when empty.
import { z } from "zod";
import { ipFamily } from "../ip.js";
import { cidrString, dnsSchema, ipString, routeSchema, uint } from "../schemas.js";
import { copyDns, copyRoute, type Dns, nonEmpty, type Route } from "../types.js";

export const V040_VERSIONS = ["0.3.0", "0.3.1", "0.4.0"] as const;
export type V040Version = (typeof V040_VERSIONS)[number];

export interface InterfaceV040 {
  name: string;
  mac?: string;
  sandbox?: string;
}

export interface IpConfigV040 {
  version: "4" | "6";
  /** Index into `interfaces`; 0 is a valid index, never drop it as falsy. */
  interface?: number;
  /** "ip/prefix" */
  address: string;
  gateway?: string;
}

export interface ResultV040 {
  cniVersion: V040Version;
  interfaces?: InterfaceV040[];
  ips?: IpConfigV040[];
  routes?: Route[];
  dns?: Dns;
}

export function isV040Version(v: string): v is V040Version {
  return (V040_VERSIONS as readonly string[]).includes(v);
}

const interfaceSchema = z.object({
  name: z.string().default(""),
  mac: z.string().optional(),
  sandbox: z.string().optional(),
});

const ipConfigSchema = z
  .object({
    version: z.enum(["4", "6"]).optional(),
    interface: uint.optional(),
    address: cidrString,
    gateway: z.union([ipString, z.literal("")]).optional(),
  })
  .transform((ip): IpConfigV040 => {
    // A missing version is derived from the address rather than dropping the IP later.
    const version = ip.version ?? (ipFamily(ip.address.split("/")[0] ?? "") === 6 ? "6" : "4");
    return { ...ip, version };
  });

export const resultV040Schema = z.object({
  interfaces: z.array(interfaceSchema).optional(),
  ips: z.array(ipConfigSchema).optional(),
  routes: z.array(routeSchema).optional(),
  dns: dnsSchema.optional(),
});

export function copyInterfaceV040(i: InterfaceV040): InterfaceV040 {
  const out: InterfaceV040 = { name: i.name };
  if (i.mac) out.mac = i.mac;
  if (i.sandbox) out.sandbox = i.sandbox;
  return out;
}

export function copyIpConfigV040(ip: IpConfigV040): IpConfigV040 {
  const out: Partial<IpConfigV040> = { version: ip.version };
  if (ip.interface !== undefined) out.interface = ip.interface;
  out.address = ip.address;
  if (ip.gateway) out.gateway = ip.gateway;
  return out as IpConfigV040;
}

/** A deep copy in canonical form: Go's field order, empty fields dropped. */
export function copyResultV040(r: Omit<ResultV040, "cniVersion">, cniVersion: V040Version): ResultV040 {
  const out: ResultV040 = { cniVersion };
  const interfaces = nonEmpty(r.interfaces?.map(copyInterfaceV040));
  if (interfaces) out.interfaces = interfaces;
  const ips = nonEmpty(r.ips?.map(copyIpConfigV040));
  if (ips) out.ips = ips;
  const routes = nonEmpty(r.routes?.map(copyRoute));
  if (routes) out.routes = routes;
  const dns = copyDns(r.dns);
  if (dns) out.dns = dns;
  return out;
}

/** The printed object: canonical form plus `"dns":{}` when empty. */
export function resultV040ToJson(r: ResultV040): Record<string, unknown> {
  const c = copyResultV040(r, r.cniVersion);
  return { ...c, dns: c.dns ?? {} };
}
