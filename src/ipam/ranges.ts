// Range sets as host-local defines them: parse, default and validate once, so the allocator works on
// plain numbers and never sees a malformed config. Every message names the range and the bad value.
import { bitsOf, type Family, ipText, lastOf, networkOf, tryParseCidr, tryParseIp } from "./address.js";
import { IpamError } from "./errors.js";

/** One range as written in config (host-local's `ipam.ranges[i][j]`). */
export interface RangeSpec {
  subnet: string;
  rangeStart?: string;
  rangeEnd?: string;
  gateway?: string;
}

/** The ranges that together hand out one address (one per family in dual-stack). */
export type RangeSet = RangeSpec[];

/** A validated range with its defaults filled in. Addresses are numbers in the range's family. */
export interface Range {
  family: Family;
  /** Canonical "network/len". */
  subnet: string;
  prefixLength: number;
  /** The subnet's network address. */
  network: bigint;
  /** The subnet's last address (IPv4: broadcast). */
  last: bigint;
  /** First and last address to hand out, inclusive. */
  start: bigint;
  end: bigint;
  gateway: bigint;
}

export interface ParsedRangeSet {
  /** Stable id used as the store's rangeId: the set's index, as host-local's last_reserved_ip.N. */
  id: string;
  index: number;
  family: Family;
  ranges: Range[];
  /** Addresses never handed out: every subnet's network address, IPv4 broadcast, and every gateway. */
  excluded: ReadonlySet<bigint>;
}

const invalid = (msg: string): IpamError => new IpamError("invalid-range", msg);
const familyName = (f: Family): string => (f === 4 ? "IPv4" : "IPv6");

function parseAddressField(label: string, field: string, value: unknown, r: Omit<Range, "start" | "end" | "gateway">) {
  if (typeof value !== "string") throw invalid(`${label}: ${field} must be a string, got ${JSON.stringify(value)}`);
  const ip = tryParseIp(value);
  if (ip === null) throw invalid(`${label}: ${field} "${value}" is not a valid IP address`);
  if (ip.family !== r.family || ip.value < r.network || ip.value > r.last) {
    throw invalid(`${label}: ${field} "${value}" is outside subnet "${r.subnet}"`);
  }
  return ip.value;
}

/** Parses and defaults one range. label prefixes every message, e.g. "range 0". */
export function parseRange(spec: RangeSpec, label: string): Range {
  const raw: unknown = spec?.subnet;
  if (raw === undefined) throw invalid(`${label}: subnet is required`);
  if (typeof raw !== "string") throw invalid(`${label}: subnet must be a string, got ${JSON.stringify(raw)}`);
  const cidr = tryParseCidr(raw);
  if (cidr === null) throw invalid(`${label}: subnet "${raw}" is not a valid CIDR`);
  const { ip, prefixLength } = cidr;
  const network = networkOf(ip, prefixLength);
  const subnet = `${ipText(ip.family, network)}/${prefixLength}`;
  if (network !== ip.value) throw invalid(`${label}: subnet "${raw}" has host bits set (did you mean "${subnet}"?)`);
  // A /31 or /32 (/127, /128) leaves no address besides network, gateway and broadcast.
  if (prefixLength >= bitsOf(ip.family) - 1) throw invalid(`${label}: subnet "${raw}" is too small to allocate from`);
  const base = { family: ip.family, subnet, prefixLength, network, last: lastOf(ip, prefixLength) };

  const start =
    spec.rangeStart === undefined ? network + 1n : parseAddressField(label, "rangeStart", spec.rangeStart, base);
  const defaultEnd = ip.family === 4 ? base.last - 1n : base.last;
  const end = spec.rangeEnd === undefined ? defaultEnd : parseAddressField(label, "rangeEnd", spec.rangeEnd, base);
  const gateway = spec.gateway === undefined ? network + 1n : parseAddressField(label, "gateway", spec.gateway, base);
  if (start > end) {
    throw invalid(
      `${label}: rangeStart "${ipText(ip.family, start)}" is after rangeEnd "${ipText(ip.family, end)}" in subnet "${subnet}"`,
    );
  }
  return { ...base, start, end, gateway };
}

/** "start-end" of a range, for messages. */
export function describeRange(r: Range): string {
  return `${ipText(r.family, r.start)}-${ipText(r.family, r.end)}`;
}

function overlaps(a: Range, b: Range): boolean {
  return a.family === b.family && a.start <= b.end && b.start <= a.end;
}

/**
 * Parses, defaults and validates range sets: one family per set, no overlapping ranges within or
 * between sets. Messages say `range J: …` for a single set and `range set I, range J: …` otherwise.
 * @throws IpamError kind "invalid-range" naming the field and its value.
 */
export function parseRangeSets(sets: readonly RangeSet[]): ParsedRangeSet[] {
  if (!Array.isArray(sets) || sets.length === 0) throw invalid("at least one range set is required");
  const parsed: ParsedRangeSet[] = [];
  sets.forEach((set, i) => {
    const setLabel = sets.length === 1 ? "" : `range set ${i}`;
    if (!Array.isArray(set) || set.length === 0) throw invalid(`${setLabel || "range set 0"} is empty`);
    const ranges = set.map((spec, j) => parseRange(spec, setLabel ? `${setLabel}, range ${j}` : `range ${j}`));
    const first = ranges[0]!;
    ranges.forEach((r, j) => {
      const label = setLabel ? `${setLabel}, range ${j}` : `range ${j}`;
      if (r.family !== first.family) {
        throw invalid(
          `${label}: subnet "${r.subnet}" is ${familyName(r.family)} but range 0 is ${familyName(first.family)}; a range set holds one family`,
        );
      }
      for (let k = 0; k < j; k++) {
        if (overlaps(r, ranges[k]!)) {
          throw invalid(`${label}: ${describeRange(r)} overlaps range ${k} (${describeRange(ranges[k]!)})`);
        }
      }
      for (const earlier of parsed) {
        for (const [k, o] of earlier.ranges.entries()) {
          if (overlaps(r, o)) {
            throw invalid(
              `${label}: ${describeRange(r)} overlaps range set ${earlier.index}, range ${k} (${describeRange(o)})`,
            );
          }
        }
      }
    });
    const excluded = new Set<bigint>();
    for (const r of ranges) {
      excluded.add(r.network);
      if (r.family === 4) excluded.add(r.last);
      excluded.add(r.gateway);
    }
    parsed.push({ id: String(i), index: i, family: first.family, ranges, excluded });
  });
  return parsed;
}

/** Index of the range in set that contains value in [start, end], or -1. */
export function rangeIndexOf(set: ParsedRangeSet, family: Family, value: bigint): number {
  if (family !== set.family) return -1;
  return set.ranges.findIndex((r) => r.start <= value && value <= r.end);
}

/** How many addresses the set can hand out (its ranges minus network, broadcast and gateways). */
export function capacityOf(set: ParsedRangeSet): bigint {
  let n = 0n;
  for (const r of set.ranges) {
    n += r.end - r.start + 1n;
    for (const x of set.excluded) if (r.start <= x && x <= r.end) n--;
  }
  return n;
}
