// Quantum's own keys of a plugin config (driver, subnet, bridge, isolation, dataDir, ...), parsed
// straight into the network model. The protocol layer (cni/) has already checked the header and the
// protocol's fields; what is ours is read here from the raw object, as a Go plugin decodes its own
// struct. Two dialects:
// - native (no `ipam` section): built-in IPAM on `subnet`/`subnets`, the gateway on the bridge,
//   a default route via it;
// - drop-in for the reference bridge plugin (`ipam` present): addresses come from the IPAM plugin
//   (`"ipam": {}` = layer 2 only), `isGateway`/`isDefaultGateway` mean what they mean there, and
//   the bridge defaults to "cni0".
import { z } from "zod";
import {
  boolish,
  CniError,
  CODE_INVALID_NETWORK_CONFIG,
  CODE_UNSUPPORTED_FIELD,
  cidrContains,
  cidrFamily,
  describeZodError,
  dnsSchema,
  interfaceNameProblem,
  ipFamily,
  ipString,
  isCidr,
  isNetworkCidr,
  type PluginConfig,
  routeSchema,
  showValue,
} from "../cni/index.js";
import {
  IsolationLevel,
  MACVLAN_MODES,
  NetworkDriverType,
  type NetworkSpec,
  networkSpec,
  type SubnetSpec,
} from "../network/index.js";
import { DEFAULT_DATA_DIR } from "./cni-config.js";
import { absolutePathProblem, MAX_DATA_DIR_BYTES, MAX_SOCKET_PATH_BYTES } from "./path-validation.js";

export { DEFAULT_DATA_DIR };

/** The reference bridge plugin's default bridge, kept for drop-in configs. */
const REFERENCE_BRIDGE = "cni0";

/** A plugin config's quantum part: the network, where its state lives, and who does IPAM. */
export interface QuantumNetConf {
  spec: NetworkSpec;
  /** `dataDir` as given; absent means the caller's default. */
  dataDir?: string;
  socketPath?: string;
  /** `ipam.type` when addresses are delegated to an IPAM plugin. */
  ipamType?: string;
  /** `"ipam": {}`: the reference bridge's layer-2-only mode, no addresses at all. */
  layer2Only: boolean;
}

const ifnameString = z.string().superRefine((v, ctx) => {
  const problem = interfaceNameProblem(v);
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `is not a valid interface name: it ${problem}` });
});

/** An absolute, normalised path of at most maxBytes (path-validation.ts). */
const pathString = (maxBytes: number) =>
  z.string().superRefine((v, ctx) => {
    const problem = absolutePathProblem(v, maxBytes);
    if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
  });

/** A subnet: a CIDR with no host bits set. */
const subnetString = z.string().superRefine((v, ctx) => {
  if (!isCidr(v)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: "is not a CIDR" });
  else if (!isNetworkCidr(v))
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: "has host bits set (want the network address)" });
});

const configRoute = routeSchema.superRefine((r, ctx) => {
  if (r.gw && ipFamily(r.gw) !== cidrFamily(r.dst)) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: ["gw"],
      message: `is not in the address family of dst "${r.dst}"`,
    });
  }
});

/** Quantum's keys; the protocol's keys and anything unknown pass through. */
const quantumKeysSchema = z
  .object({
    driver: z.nativeEnum(NetworkDriverType).default(NetworkDriverType.Bridge),
    subnet: subnetString.optional(),
    subnets: z.array(subnetString).optional(),
    gateway: ipString.optional(),
    routes: z.array(configRoute).default([]),
    dns: dnsSchema.optional(),
    bridge: ifnameString.optional(),
    mtu: z.number().int().min(68).max(65535).optional(),
    ipMasq: boolish.default(false),
    hairpinMode: boolish.default(false),
    promiscMode: boolish.default(false),
    isGateway: boolish.default(false),
    isDefaultGateway: boolish.default(false),
    forceAddress: boolish.default(false),
    isolation: z.nativeEnum(IsolationLevel).default(IsolationLevel.None),
    master: ifnameString.optional(),
    macvlanMode: z.enum(MACVLAN_MODES).optional(),
    dataDir: pathString(MAX_DATA_DIR_BYTES).optional(),
    socketPath: pathString(MAX_SOCKET_PATH_BYTES).optional(),
    // Read by the shim (native/shim.c) before any daemon or Node runs; checked here too, so direct
    // mode and the daemon refuse the same bad values the shim refuses.
    autostart: z.boolean().optional(),
    idleExitSeconds: z.number().int().min(0).optional(),
    autostartWaitMs: z.number().int().min(0).optional(),
  })
  .passthrough()
  .superRefine((c, ctx) => {
    const issue = (path: string, message: string) =>
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [path], message });
    if (c.subnet !== undefined && c.subnets !== undefined) issue("subnets", 'cannot be combined with "subnet"');
    const subnets = c.subnets ?? (c.subnet !== undefined ? [c.subnet] : []);
    if (c.driver === NetworkDriverType.Overlay && subnets.length > 0) {
      issue(
        c.subnet !== undefined ? "subnet" : "subnets",
        'must not be set with driver "overlay": the node\'s fabric subnet is used',
      );
    }
    for (const fam of [4, 6] as const) {
      if (subnets.filter((s) => cidrFamily(s) === fam).length > 1) {
        issue("subnets", `has more than one IPv${fam} subnet (at most one per family)`);
      }
    }
    if (c.gateway !== undefined && subnets.length > 0) {
      const fam = ipFamily(c.gateway);
      const sameFamily = subnets.find((s) => cidrFamily(s) === fam);
      if (!sameFamily) issue("gateway", `has no subnet of its address family in ${JSON.stringify(subnets)}`);
      else if (!cidrContains(sameFamily, c.gateway)) issue("gateway", `is outside subnet "${sameFamily}"`);
    }
    // The reference bridge refuses this pair: promiscuous mode already reflects hairpin traffic.
    if (c.hairpinMode && c.promiscMode) issue("promiscMode", "cannot be set together with hairpinMode");
  });

/**
 * Reads quantum's keys of a protocol-validated config into the network model.
 * @throws CniError 7 for an invalid key (the message names the key and the value), 2 for a
 *   reference bridge feature quantum does not implement.
 */
export function parseQuantumConfig(config: PluginConfig): QuantumNetConf {
  const parsed = quantumKeysSchema.safeParse(config.raw);
  if (!parsed.success) {
    throw new CniError(CODE_INVALID_NETWORK_CONFIG, describeZodError(parsed.error, config.raw, "config field"));
  }
  refuseUnimplemented(config.raw);
  const c = parsed.data;
  const ipamType = config.ipam?.type ? config.ipam.type : undefined;
  const delegated = config.ipam !== undefined;
  const cidrs = c.subnets ?? (c.subnet !== undefined ? [c.subnet] : []);
  const subnets: SubnetSpec[] = delegated
    ? []
    : cidrs.map((subnet) => {
        const gw = c.gateway && sameFamily(c.gateway, subnet) ? c.gateway : undefined;
        return gw ? { subnet, gateway: gw } : { subnet };
      });
  const spec = networkSpec({
    name: config.name,
    driver: c.driver,
    isolation: c.isolation,
    subnets,
    routes: c.routes,
    bridge: c.bridge ?? (delegated ? REFERENCE_BRIDGE : undefined),
    ipMasq: c.ipMasq,
    hairpinMode: c.hairpinMode,
    promiscMode: c.promiscMode,
    // The reference bridge: isDefaultGateway implies isGateway. Native networks always have both.
    isGateway: delegated ? c.isGateway || c.isDefaultGateway : true,
    isDefaultGateway: delegated ? c.isDefaultGateway : true,
    forceAddress: c.forceAddress,
    ...(c.mtu !== undefined ? { mtu: c.mtu } : {}),
    ...(c.master !== undefined ? { master: c.master } : {}),
    ...(c.macvlanMode !== undefined ? { macvlanMode: c.macvlanMode } : {}),
    ...(c.dns !== undefined ? { dns: c.dns } : {}),
  });
  const out: QuantumNetConf = { spec, layer2Only: delegated && !ipamType };
  if (c.dataDir !== undefined) out.dataDir = c.dataDir;
  if (c.socketPath !== undefined) out.socketPath = c.socketPath;
  if (ipamType) out.ipamType = ipamType;
  return out;
}

function sameFamily(ip: string, cidr: string): boolean {
  return ip.includes(":") === cidr.includes(":");
}

/**
 * Reference bridge keys whose feature quantum does not implement. Accepting them silently would
 * wire something else than asked (an untagged port for `vlan: 2`), so a non-default value is
 * refused with code 2, naming the key and the value.
 */
const UNIMPLEMENTED: Record<string, (v: unknown) => boolean> = {
  vlan: (v) => v !== 0 && v !== undefined && v !== null,
  vlanTrunk: (v) => Array.isArray(v) && v.length > 0,
  preserveDefaultVlan: (v) => v === true || v === "true",
  macspoofchk: (v) => v === true || v === "true",
  disableContainerInterface: (v) => v === true || v === "true",
  enabledad: (v) => v === true || v === "true",
  portIsolation: (v) => v === true || v === "true",
};

function refuseUnimplemented(raw: Record<string, unknown>): void {
  for (const [key, isSet] of Object.entries(UNIMPLEMENTED)) {
    if (isSet(raw[key])) {
      throw new CniError(
        CODE_UNSUPPORTED_FIELD,
        `unsupported config field "${key}": ${showValue(raw[key])} (quantum does not implement it)`,
        key === "portIsolation" ? 'use "isolation": "strict" for bridge port isolation' : undefined,
      );
    }
  }
}
