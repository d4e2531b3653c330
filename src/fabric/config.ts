// The fabric config: defaults, validation with messages that name the field, and equality (a node
// whose local idea of the fabric differs from etcd's refuses to join; init refuses to overwrite).
import { parseV4Cidr, parseV6Cidr } from "./subnets.js";
import type { FabricConfig } from "./types.js";

export const DEFAULT_PREFIX = "/quantum/v1/";

export interface FabricConfigInput {
  network: string;
  subnetLen?: number;
  v6Network?: string;
  v6SubnetLen?: number;
  vni?: number;
  port?: number;
  ttlSeconds?: number;
  reuseQuarantineSeconds?: number;
}

export class FabricConfigError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`fabric config: ${field} ${message}`);
    this.name = "FabricConfigError";
  }
}

function int(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new FabricConfigError(field, `must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Fills defaults and validates; the result is what `fabric init` stores. */
export function makeFabricConfig(i: FabricConfigInput): FabricConfig {
  const net = parseV4Cidr(i.network, "network");
  const subnetLen = int("subnetLen", i.subnetLen ?? 24, 8, 30);
  if (subnetLen <= net.prefixLen) {
    throw new FabricConfigError("subnetLen", `(${subnetLen}) must be longer than the network's prefix (${i.network})`);
  }
  // Index 0 is never handed out (flannel's SubnetMin): at least two subnets are needed for one node.
  if (subnetLen - net.prefixLen > 16) {
    throw new FabricConfigError(
      "subnetLen",
      `gives more than 65536 subnets of ${i.network}: use a longer network prefix`,
    );
  }
  return validateFabricConfig({
    network: i.network,
    subnetLen,
    ...(i.v6Network !== undefined ? { v6Network: i.v6Network, v6SubnetLen: i.v6SubnetLen ?? 64 } : {}),
    backend: { type: "vxlan", vni: i.vni ?? 1, port: i.port ?? 4789 },
    ttlSeconds: i.ttlSeconds ?? 60,
    reuseQuarantineSeconds: i.reuseQuarantineSeconds ?? 600,
  });
}

/** Validates a config read from etcd (untrusted JSON). */
export function validateFabricConfig(v: unknown): FabricConfig {
  if (typeof v !== "object" || v === null) throw new FabricConfigError("(root)", "must be a JSON object");
  const o = v as Record<string, unknown>;
  if (typeof o["network"] !== "string") throw new FabricConfigError("network", "must be a CIDR string");
  const net = parseV4Cidr(o["network"], "network");
  const subnetLen = int("subnetLen", o["subnetLen"], net.prefixLen + 1, 30);
  const b = o["backend"] as Record<string, unknown> | undefined;
  if (typeof b !== "object" || b === null || b["type"] !== "vxlan") {
    throw new FabricConfigError("backend", `must be {"type":"vxlan",...}, got ${JSON.stringify(b)}`);
  }
  let v6: Pick<FabricConfig, "v6Network" | "v6SubnetLen"> = {};
  if (o["v6Network"] !== undefined) {
    if (typeof o["v6Network"] !== "string") throw new FabricConfigError("v6Network", "must be an IPv6 CIDR string");
    const net6 = parseV6Cidr(o["v6Network"], "v6Network");
    const len6 = int("v6SubnetLen", o["v6SubnetLen"] ?? 64, net6.prefixLen + 1, 126);
    v6 = { v6Network: o["v6Network"], v6SubnetLen: len6 };
  }
  return {
    network: o["network"],
    subnetLen,
    ...v6,
    backend: {
      type: "vxlan",
      vni: int("backend.vni", b["vni"], 1, 0xffffff),
      port: int("backend.port", b["port"], 1, 65535),
    },
    ttlSeconds: int("ttlSeconds", o["ttlSeconds"], 2, 3600),
    reuseQuarantineSeconds: int("reuseQuarantineSeconds", o["reuseQuarantineSeconds"], 0, 86400),
  };
}

export function sameFabricConfig(a: FabricConfig, b: FabricConfig): boolean {
  return JSON.stringify(validateFabricConfig(a)) === JSON.stringify(validateFabricConfig(b));
}
