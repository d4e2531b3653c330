// The zod schema of a plugin config's protocol fields (everything but cniVersion/name, which
// config.ts checks first, in skel's order). Custom messages are reasons only; zod-format.ts names
// field and value. A plugin's own keys are its own parser's business.
import { z } from "zod";
import { cidrFamily, isIp } from "./ip.js";
import { dnsSchema, ipString, looseObject, macString } from "./schemas.js";

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

/** Fields validated here; anything else passes through and stays in the raw object. */
export const pluginConfigSchema = z
  .object({
    type: z.string().optional(),
    dns: dnsSchema.optional(),
    ipam: z.object({ type: z.string().optional() }).passthrough().optional(),
    capabilities: z.record(z.string(), z.boolean()).default({}),
    // A JSON null decodes in Go as "no runtimeConfig".
    runtimeConfig: z.preprocess((v) => (v === null ? undefined : v), runtimeConfig.default({})),
    args: args.optional(),
    "cni.dev/valid-attachments": z.array(attachment).optional(),
    "cni.dev/attachments": z.array(attachment).optional(),
    prevResult: looseObject.optional(),
  })
  .passthrough();

export type PluginConfigFields = z.output<typeof pluginConfigSchema>;
