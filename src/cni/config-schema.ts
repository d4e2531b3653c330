// The zod schema of our plugin config (everything but cniVersion/name, which config.ts checks
// first, in skel's order). Custom messages are reasons only; zod-format.ts names field and value.
import { z } from "zod";
import { interfaceNameProblem } from "./env.js";
import { cidrContains, cidrFamily, ipFamily, isCidr, isIp, isNetworkCidr } from "./ip.js";
import { boolish, dnsSchema, ipString, looseObject, macString, routeSchema } from "./schemas.js";

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

export const PORT_PROTOCOLS = ["tcp", "udp", "sctp"] as const;

/** Kubernetes' Protocol enum arrives upper case from some runtimes; empty means TCP, as in Kubernetes. */
const portProtocol = z
  .string()
  .transform((v) => (v === "" ? "tcp" : v.toLowerCase()))
  .pipe(z.enum(PORT_PROTOCOLS, { errorMap: () => ({ message: `must be one of ${PORT_PROTOCOLS.join(", ")}` }) }));

const portMapping = z
  .object({
    hostPort: z.number().int().min(0).max(65535),
    containerPort: z.number().int().min(1).max(65535),
    protocol: portProtocol.default("tcp"),
    hostIP: z.union([ipString, z.literal("")]).optional(),
  })
  .passthrough();

/** Drops keys whose value is undefined (a null decoded as absent leaves no key behind). */
function dropUndefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

// Go decodes a JSON null into a slice or struct as "absent".
const goOptional = <T extends z.ZodTypeAny>(t: T) => z.preprocess((v) => (v === null ? undefined : v), t.optional());

/**
 * Capability args injected by the runtime (CONVENTIONS.md), keys already folded to the Go field
 * names (runtime-config-keys.ts). Only the capabilities quantum reads are validated (ips, mac,
 * portMappings, dns); any other one (bandwidth, ipRanges, pod annotations, ...) passes through
 * unchecked, so a capability we do not use never fails a call.
 */
const runtimeConfig = z
  .object({
    ips: goOptional(z.array(ipOrCidr)),
    mac: goOptional(z.union([macString, z.literal("")])),
    portMappings: goOptional(z.array(portMapping)),
    dns: goOptional(
      z
        .object({
          servers: goOptional(z.array(z.string())),
          searches: goOptional(z.array(z.string())),
          options: goOptional(z.array(z.string())),
        })
        .passthrough()
        .transform(dropUndefined),
    ),
  })
  .passthrough()
  .transform(dropUndefined);

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
    // A JSON null decodes in Go as "no runtimeConfig".
    runtimeConfig: z.preprocess((v) => (v === null ? undefined : v), runtimeConfig.default({})),
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
