// zod building blocks shared by result and config schemas. Custom messages are only the reason
// ("is not a CIDR"); zod-format.ts adds the field name and the value.
import { z } from "zod";
import { isCidr, isIp, isMac } from "./ip.js";
import type { Dns, Route } from "./types.js";

export const ipString = z.string().refine(isIp, { message: "is not an IP address" });
export const cidrString = z.string().refine(isCidr, { message: "is not a CIDR" });
export const macString = z.string().refine(isMac, { message: "is not a MAC address" });

/** A non-negative integer (JSON numbers are floats; Go decodes these into int). */
export const uint = z.number().int().nonnegative();

/**
 * A boolean that also accepts "true"/"false" strings, as libcni does for conflist flags.
 */
export const boolish = z.unknown().transform((v, ctx): boolean => {
  if (typeof v === "boolean") return v;
  if (v === "true") return true;
  if (v === "false") return false;
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be a boolean or "true"/"false"' });
  return z.NEVER;
});

export const routeSchema: z.ZodType<Route, z.ZodTypeDef, unknown> = z
  .object({
    dst: cidrString,
    gw: z.union([ipString, z.literal("")]).optional(),
    mtu: uint.optional(),
    advmss: uint.optional(),
    priority: uint.optional(),
    table: z.number().int().optional(),
    scope: z.number().int().optional(),
  })
  .transform((r) => r as Route);

export const dnsSchema: z.ZodType<Dns, z.ZodTypeDef, unknown> = z.object({
  nameservers: z.array(z.string()).optional(),
  domain: z.string().optional(),
  search: z.array(z.string()).optional(),
  options: z.array(z.string()).optional(),
});

/** A JSON object (not null, not an array); keys pass through unchanged. */
export const looseObject = z.record(z.string(), z.unknown());
