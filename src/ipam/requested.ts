// Requested IPs (CNI_ARGS IP=, args.cni.ips, runtimeConfig.ips): each goes to the first range set
// whose ranges contain it, as host-local does. A prefix length may be given but is not used: the
// address is handed out with its subnet's length.
import { tryParseCidr, tryParseIp } from "./address.js";
import { IpamError } from "./errors.js";
import { describeRange, type ParsedRangeSet, rangeIndexOf } from "./ranges.js";

export interface RequestedIp {
  /** As the caller wrote it, for messages. */
  text: string;
  value: bigint;
  rangeIndex: number;
}

/**
 * Maps set index → the address requested for it.
 * @throws IpamError "requested-out-of-range" for malformed text or an address in no set's ranges;
 *   "requested-unavailable" when two requested addresses fall in the same set (one IP per set).
 */
export function assignRequested(
  sets: readonly ParsedRangeSet[],
  requested: readonly string[],
): Map<number, RequestedIp> {
  const out = new Map<number, RequestedIp>();
  for (const text of requested) {
    const ip = typeof text === "string" ? (text.includes("/") ? tryParseCidr(text)?.ip : tryParseIp(text)) : null;
    if (ip == null) {
      throw new IpamError("requested-out-of-range", `requested IP ${JSON.stringify(text)} is not a valid IP address`);
    }
    let placed = false;
    for (const set of sets) {
      const rangeIndex = rangeIndexOf(set, ip.family, ip.value);
      if (rangeIndex < 0) continue;
      const already = out.get(set.index);
      if (already !== undefined && already.value !== ip.value) {
        throw new IpamError(
          "requested-unavailable",
          `requested IP "${text}" cannot be used: range set ${set.index} already gets requested IP "${already.text}" (one IP per set)`,
        );
      }
      out.set(set.index, { text, value: ip.value, rangeIndex });
      placed = true;
      break;
    }
    if (!placed) {
      const where = sets.flatMap((s) => s.ranges.map((r) => `${r.subnet} ${describeRange(r)}`)).join(", ");
      throw new IpamError("requested-out-of-range", `requested IP "${text}" is not in any configured range (${where})`);
    }
  }
  return out;
}
