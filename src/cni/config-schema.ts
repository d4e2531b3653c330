// The zod schema of our plugin config (everything but cniVersion/name, which config.ts checks
// first, in skel's order). Custom messages are reasons only; zod-format.ts names field and value.
import { z } from "zod";
import { interfaceNameProblem } from "./env.js";
import { cidrContains, cidrFamily, ipFamily, isCidr, isIp, isNetworkCidr } from "./ip.js";
import { boolish, cidrString, dnsSchema, ipString, looseObject, macString, routeSchema, uint } from "./schemas.js";

export const DRIVER_TYPES = ["bridge", "macvlan", "overlay"] as const;
export const ISOLATION_MODES = ["none", "internal", "strict"] as const;
export const MACVLAN_MODES = ["bridge", "private", "vepa", "passthru"] as const;

const ifnameString = z.string().superRefine((v, ctx) => {
  const problem = interfaceNameProblem(v);
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `is not a valid interface name: it ${problem}` });
});

/** A subnet: a CIDR with no host bits set. */
const subnetString = z.string().superRefine((v, ctx) => {
  if (!isCidr(v)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: "is not a CIDR" });
  else if (!isNetworkCidr(v))
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: "has host bits set (want the network address)" });
});

const ipOrCidr = z
  .string()
  .refine((v) => isIp(v) || cidrFamily(v) !== null, { message: "is not an IP address or CIDR" });

const portMapping = z
  .object({
    hostPort: z.number().int().min(0).max(65535),
    containerPort: z.number().int().min(1).max(65535),
    protocol: z.string().optional(),
    hostIP: z.union([ipString, z.literal("")]).optional(),
  })
  .passthrough();

const bandwidth = z
  .object({ ingressRate: uint, ingressBurst: uint, egressRate: uint, egressBurst: uint })
  .partial()
  .passthrough();

const rangeSpec = z
  .object({
    subnet: cidrString,
    rangeStart: ipString.optional(),
    rangeEnd: ipString.optional(),
    gateway: ipString.optional(),
  })
  .passthrough();

/** Capability args injected by the runtime (CONVENTIONS.md); unknown capabilities pass through. */
const runtimeConfig = z
  .object({
    ips: z.array(ipOrCidr).optional(),
    mac: macString.optional(),
    portMappings: z.array(portMapping).optional(),
    bandwidth: bandwidth.optional(),
    dns: z
      .object({ servers: z.array(z.string()), searches: z.array(z.string()), options: z.array(z.string()) })
      .partial()
      .passthrough()
      .optional(),
    ipRanges: z.array(z.array(rangeSpec)).optional(),
  })
  .passthrough();

const args = z
  .object({
    cni: z
      .object({ ips: z.array(ipOrCidr).optional(), mac: macString.optional() })
      .passthrough()
      .optional(),
  })
  .passthrough();

const attachment = z.object({ containerID: z.string(), ifname: z.string() });

const configRoute = routeSchema.superRefine((r, ctx) => {
  if (r.gw && ipFamily(r.gw) !== cidrFamily(r.dst)) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: ["gw"],
      message: `is not in the address family of dst "${r.dst}"`,
    });
  }
});

/** Fields validated here; anything else passes through and stays in the raw object. */
export const pluginConfigSchema = z
  .object({
    type: z.string().optional(),
    driver: z.enum(DRIVER_TYPES).default("bridge"),
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
    isolation: z.enum(ISOLATION_MODES).default("none"),
    master: ifnameString.optional(),
    macvlanMode: z.enum(MACVLAN_MODES).optional(),
    dataDir: z.string().min(1).optional(),
    socketPath: z.string().min(1).optional(),
    ipam: z.object({ type: z.string().optional() }).passthrough().optional(),
    capabilities: z.record(z.string(), z.boolean()).default({}),
    runtimeConfig: runtimeConfig.default({}),
    args: args.optional(),
    "cni.dev/valid-attachments": z.array(attachment).optional(),
    "cni.dev/attachments": z.array(attachment).optional(),
    prevResult: looseObject.optional(),
  })
  .passthrough()
  .superRefine((c, ctx) => {
    const issue = (path: string, message: string) =>
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [path], message });
    if (c.subnet !== undefined && c.subnets !== undefined) issue("subnets", 'cannot be combined with "subnet"');
    const subnets = c.subnets ?? (c.subnet !== undefined ? [c.subnet] : []);
    if (c.driver === "overlay" && subnets.length > 0) {
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

export type PluginConfigFields = z.output<typeof pluginConfigSchema>;
