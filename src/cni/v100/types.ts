// Result shape of spec 1.0.0 and 1.1.0 (one Go type serves both). 1.1.0 added interface
// mtu/socketPath/pciID and the extra route fields. `dns` is omitted when empty.
import { z } from "zod";
import { cidrString, dnsSchema, ipString, routeSchema, uint } from "../schemas.js";
import { copyDns, copyRoute, type Dns, nonEmpty, type Route } from "../types.js";

export const V100_VERSIONS = ["1.0.0", "1.1.0"] as const;
export type V100Version = (typeof V100_VERSIONS)[number];

export interface InterfaceV100 {
  name: string;
  mac?: string;
  mtu?: number;
  sandbox?: string;
  socketPath?: string;
  pciID?: string;
}

export interface IpConfigV100 {
  /** Index into `interfaces`; 0 is a valid index, never drop it as falsy. */
  interface?: number;
  /** "ip/prefix" */
  address: string;
  gateway?: string;
}

export interface ResultV100 {
  cniVersion: V100Version;
  interfaces?: InterfaceV100[];
  ips?: IpConfigV100[];
  routes?: Route[];
  dns?: Dns;
}

export function isV100Version(v: string): v is V100Version {
  return (V100_VERSIONS as readonly string[]).includes(v);
}

const interfaceSchema = z.object({
  name: z.string().default(""),
  mac: z.string().optional(),
  mtu: uint.optional(),
  sandbox: z.string().optional(),
  socketPath: z.string().optional(),
  pciID: z.string().optional(),
});

const ipConfigSchema = z.object({
  interface: uint.optional(),
  address: cidrString,
  gateway: z.union([ipString, z.literal("")]).optional(),
});

export const resultV100Schema = z.object({
  interfaces: z.array(interfaceSchema).optional(),
  ips: z.array(ipConfigSchema).optional(),
  routes: z.array(routeSchema).optional(),
  dns: dnsSchema.optional(),
});

export function copyInterfaceV100(i: InterfaceV100): InterfaceV100 {
  const out: InterfaceV100 = { name: i.name };
  if (i.mac) out.mac = i.mac;
  if (i.mtu) out.mtu = i.mtu;
  if (i.sandbox) out.sandbox = i.sandbox;
  if (i.socketPath) out.socketPath = i.socketPath;
  if (i.pciID) out.pciID = i.pciID;
  return out;
}

export function copyIpConfigV100(ip: IpConfigV100): IpConfigV100 {
  const out: Partial<IpConfigV100> = {};
  if (ip.interface !== undefined) out.interface = ip.interface;
  out.address = ip.address;
  if (ip.gateway) out.gateway = ip.gateway;
  return out as IpConfigV100;
}

/** A deep copy in canonical form: Go's field order, empty fields dropped. */
export function copyResultV100(r: Omit<ResultV100, "cniVersion">, cniVersion: V100Version): ResultV100 {
  const out: ResultV100 = { cniVersion };
  const interfaces = nonEmpty(r.interfaces?.map(copyInterfaceV100));
  if (interfaces) out.interfaces = interfaces;
  const ips = nonEmpty(r.ips?.map(copyIpConfigV100));
  if (ips) out.ips = ips;
  const routes = nonEmpty(r.routes?.map(copyRoute));
  if (routes) out.routes = routes;
  const dns = copyDns(r.dns);
  if (dns) out.dns = dns;
  return out;
}

/** The printed object: the canonical form (empty `dns` omitted). */
export function resultV100ToJson(r: ResultV100): Record<string, unknown> {
  return { ...copyResultV100(r, r.cniVersion) };
}
