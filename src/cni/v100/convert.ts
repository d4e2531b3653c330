// Converters owned by the 1.0.0/1.1.0 shape (libcni types100). 0.1.0/0.2.0 are reached through
// 0.4.0 in both directions, so only the 0.4 ↔ 1.x step is written here.
import type { ConverterRegistry } from "../convert.js";
import { cidrFamily } from "../ip.js";
import { V020_VERSIONS } from "../v020/types.js";
import { copyInterfaceV040, copyResultV040, type ResultV040, V040_VERSIONS, type V040Version } from "../v040/types.js";
import type { CniVersion } from "../version.js";
import { copyIpConfigV100, copyResultV100, type ResultV100, V100_VERSIONS, type V100Version } from "./types.js";

/** 0.3/0.4 → 1.x: `ips[].version` is dropped, everything else is kept. */
export function convertFrom040(from: ResultV040, to: V100Version): ResultV100 {
  return copyResultV100(
    {
      interfaces: from.interfaces,
      ips: from.ips?.map(({ version: _version, ...ip }) => copyIpConfigV100(ip)),
      routes: from.routes,
      dns: from.dns,
    },
    to,
  );
}

/**
 * 1.x → 0.3/0.4: `version` comes from the address family; interface mtu/socketPath/pciID are
 * dropped. Routes keep their 1.1.0 fields (Go shares one Route type across these versions).
 */
export function convertTo040(from: ResultV100, to: V040Version): ResultV040 {
  return copyResultV040(
    {
      interfaces: from.interfaces?.map(copyInterfaceV040),
      ips: from.ips?.map((ip) => ({ ...ip, version: cidrFamily(ip.address) === 6 ? "6" : "4" })),
      routes: from.routes,
      dns: from.dns,
    },
    to,
  );
}

export function registerV100Converters(registry: ConverterRegistry): void {
  for (const from of V020_VERSIONS) {
    registry.register(from, V100_VERSIONS, (r, to, reg) => {
      const r040 = reg.convert(r, "0.4.0") as ResultV040;
      return convertFrom040(r040, to as V100Version);
    });
  }
  for (const from of V040_VERSIONS) {
    registry.register(from, V100_VERSIONS, (r, to) => convertFrom040(r as ResultV040, to as V100Version));
  }
  for (const from of V100_VERSIONS) {
    const same = V100_VERSIONS.filter((v) => v !== from);
    registry.register(from, same, (r, to) => copyResultV100(r as ResultV100, to as V100Version));
    registry.register(from, V040_VERSIONS, (r, to) => convertTo040(r as ResultV100, to as V040Version));
    registry.register(from, V020_VERSIONS, (r, to: CniVersion, reg) => {
      const r040 = convertTo040(r as ResultV100, "0.4.0");
      return reg.convert(r040, to);
    });
  }
}
