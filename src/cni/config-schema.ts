// The zod schema of a plugin config's protocol fields (everything but cniVersion/name, which
// config.ts checks first, in skel's order). Custom messages are reasons only; zod-format.ts names
// field and value. A plugin's own keys are its own parser's business.
import { z } from "zod";
import { cidrFamily, isIp } from "./ip.js";
import { cidrString, dnsSchema, ipString, looseObject, macString, uint } from "./schemas.js";

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

/** Fields validated here; anything else passes through and stays in the raw object. */
export const pluginConfigSchema = z
  .object({
    type: z.string().optional(),
    dns: dnsSchema.optional(),
    ipam: z.object({ type: z.string().optional() }).passthrough().optional(),
    capabilities: z.record(z.string(), z.boolean()).default({}),
    runtimeConfig: runtimeConfig.default({}),
    args: args.optional(),
    "cni.dev/valid-attachments": z.array(attachment).optional(),
    "cni.dev/attachments": z.array(attachment).optional(),
    prevResult: looseObject.optional(),
  })
  .passthrough();

export type PluginConfigFields = z.output<typeof pluginConfigSchema>;
