// Address allocation policy over an AllocatorStore: which address, never how it is kept. One address
// per range set per (network, containerId, ifname); every set or none, inside one store transaction,
// so a failure in any set (exhausted, requested IP taken) leaves no reservation behind.
import type { AllocatorStore, Reservation } from "../store/index.js";
import { bitsOf, type Family, ipText, tryParseIp } from "./address.js";
import { IpamError } from "./errors.js";
import { capacityOf, type ParsedRangeSet, parseRangeSets, type Range, type RangeSet, rangeIndexOf } from "./ranges.js";
import { assignRequested, type RequestedIp } from "./requested.js";
import { lapSegments } from "./walk.js";

export interface AllocateRequest {
  network: string;
  containerId: string;
  ifname: string;
  rangeSets: readonly RangeSet[];
  /** "ip" or "ip/len"; each is placed in the first set whose ranges contain it. */
  requested?: readonly string[];
  /**
   * The ids to record for the sets (default their index). For a caller that allocates one of a
   * network's range sets at a time (Docker asks per address family), so its reservations carry the
   * same rangeId as those of a caller that allocates all sets at once.
   */
  rangeSetIds?: readonly string[];
}

export interface AllocatedIp {
  /** "10.1.0.5/24": the address with its subnet's prefix length. */
  address: string;
  gateway?: string;
  family: Family;
  /** The range set's id (its index), as stored in Reservation.rangeId. */
  rangeId: string;
}

export interface RangeSetUsage {
  rangeId: string;
  subnets: string[];
  /** Addresses the set can hand out. A Number: exact below 2^53, approximate for huge IPv6 ranges. */
  capacity: number;
  used: number;
}

// After a taken address, the search for the next free one counts reservations over windows that
// double from this size (galloping), then bisects: O(log run) indexed counts for a run of taken addresses.
const FIRST_WINDOW = 16n;

export class Allocator {
  constructor(private readonly store: AllocatorStore) {}

  /**
   * Reserves one address in every range set for (network, containerId, ifname), all or nothing.
   * @throws IpamError "invalid-range" (bad rangeSets), "duplicate" (already holds an address in a set),
   *   "requested-out-of-range", "requested-unavailable", "exhausted".
   */
  allocate(req: AllocateRequest): AllocatedIp[] {
    const sets = withIds(parseRangeSets(req.rangeSets), req.rangeSetIds);
    const requested = assignRequested(sets, req.requested ?? []);
    return this.store.transaction(() => {
      const held = this.store.getById(req.network, req.containerId, req.ifname);
      return sets.map((set) => {
        const dup = held.find((r) => holdsIn(set, r));
        if (dup !== undefined) {
          throw new IpamError(
            "duplicate",
            `container "${req.containerId}" ifname "${req.ifname}" already holds ${dup.ip} in network "${req.network}" range set ${set.id}: duplicate allocation is not allowed`,
          );
        }
        const wanted = requested.get(set.index);
        return wanted === undefined ? this.next(req, set) : this.take(req, set, wanted);
      });
    });
  }

  /** Frees every address (network, containerId, ifname) holds. Nothing held is not an error. */
  release(network: string, containerId: string, ifname: string): Reservation[] {
    return this.store.transaction(() => this.store.releaseById(network, containerId, ifname));
  }

  /** What (network, containerId, ifname) holds, as it was handed out. */
  get(network: string, containerId: string, ifname: string): AllocatedIp[] {
    return this.store.getById(network, containerId, ifname).map(toAllocated);
  }

  /** Capacity and use per range set, for STATUS and metrics. */
  usage(network: string, rangeSets: readonly RangeSet[]): RangeSetUsage[] {
    return parseRangeSets(rangeSets).map((set) => ({
      rangeId: set.id,
      subnets: set.ranges.map((r) => r.subnet),
      capacity: Number(capacityOf(set)),
      used: this.store.countReservations(network, set.id),
    }));
  }

  private reserve(req: AllocateRequest, set: ParsedRangeSet, range: Range, value: bigint): AllocatedIp | null {
    const ip = ipText(set.family, value);
    const gateway = ipText(set.family, range.gateway);
    const reservation: Reservation = {
      network: req.network,
      rangeId: set.id,
      ip,
      containerId: req.containerId,
      ifname: req.ifname,
      prefixLength: range.prefixLength,
      gateway,
    };
    if (!this.store.reserve(reservation)) return null;
    this.store.setLastReserved(req.network, set.id, ip);
    return toAllocated(reservation);
  }

  /** The lowest address in [lo, hi] that is neither taken nor excluded, or null when there is none. */
  private firstFree(network: string, set: ParsedRangeSet, lo: bigint, hi: bigint): bigint | null {
    const freeIn = (a: bigint, b: bigint): boolean => unavailableIn(this.store, network, set, a, b) < b - a + 1n;
    // Gallop: find a window [lo, end] that holds a free address, doubling its size.
    let done = lo - 1n; // [lo, done] is known to be full
    let width = FIRST_WINDOW;
    let end = lo + width - 1n < hi ? lo + width - 1n : hi;
    while (!freeIn(lo, end)) {
      if (end === hi) return null;
      done = end;
      width *= 2n;
      end = lo + width - 1n < hi ? lo + width - 1n : hi;
    }
    // Bisect (done, end]: [lo, done] is full, so the first free address is the smallest m with a free
    // address in [done + 1, m].
    const base = done + 1n;
    let a = base;
    let b = end;
    while (a < b) {
      const m = (a + b) >> 1n;
      if (freeIn(base, m)) b = m;
      else a = m + 1n;
    }
    return a;
  }

  private take(req: AllocateRequest, set: ParsedRangeSet, wanted: RequestedIp): AllocatedIp {
    const range = set.ranges[wanted.rangeIndex]!;
    const unavailable = (why: string) =>
      new IpamError("requested-unavailable", `requested IP "${wanted.text}" ${why} in network "${req.network}"`);
    if (wanted.value === range.gateway) throw unavailable(`is the gateway of subnet "${range.subnet}"`);
    if (set.excluded.has(wanted.value)) throw unavailable(`is a reserved address (network, broadcast or gateway)`);
    const got = this.reserve(req, set, range, wanted.value);
    if (got !== null) return got;
    const holder = this.store.findReservation(req.network, ipText(set.family, wanted.value));
    const by = holder === null ? "" : ` by container "${holder.containerId}" ifname "${holder.ifname}"`;
    throw unavailable(`is already reserved${by}`);
  }

  private next(req: AllocateRequest, set: ParsedRangeSet): AllocatedIp {
    const lastText = this.store.lastReserved(req.network, set.id);
    const last = lastText === null ? null : tryParseIp(lastText);
    const after = last !== null && last.family === set.family ? last.value : null;
    for (const seg of lapSegments(set, after)) {
      let at: bigint | null = seg.from;
      while (at !== null) {
        // The common case: the address after lastReserved is free, and this one insert claims it.
        if (!set.excluded.has(at)) {
          const got = this.reserve(req, set, seg.range, at);
          if (got !== null) return got;
        }
        at = at === seg.to ? null : this.firstFree(req.network, set, at + 1n, seg.to);
      }
    }
    const subnets = set.ranges.map((r) => `"${r.subnet}"`).join(", ");
    throw new IpamError(
      "exhausted",
      `no IP addresses available in network "${req.network}" range set ${set.id} (subnet${set.ranges.length > 1 ? "s" : ""} ${subnets})`,
    );
  }
}

function withIds(sets: ParsedRangeSet[], ids: readonly string[] | undefined): ParsedRangeSet[] {
  if (ids === undefined) return sets;
  if (ids.length !== sets.length || ids.some((id) => typeof id !== "string" || id === "")) {
    throw new IpamError(
      "invalid-range",
      `rangeSetIds: one non-empty id per range set expected, got ${JSON.stringify(ids)}`,
    );
  }
  return sets.map((set, i) => ({ ...set, id: ids[i]! }));
}

/**
 * Whether a held reservation occupies set: its address lies in the set's ranges (host-local's test), or
 * it was recorded under this set's id in the same family (the ranges were edited since).
 */
function holdsIn(set: ParsedRangeSet, r: Reservation): boolean {
  const ip = tryParseIp(r.ip);
  if (ip === null || ip.family !== set.family) return false;
  return r.rangeId === set.id || rangeIndexOf(set, ip.family, ip.value) >= 0;
}

/** Addresses in [lo, hi] that cannot be handed out: taken, or excluded (gateway, network, broadcast). */
function unavailableIn(store: AllocatorStore, network: string, set: ParsedRangeSet, lo: bigint, hi: bigint): bigint {
  const excluded = [...set.excluded].filter((x) => lo <= x && x <= hi).map((x) => ipText(set.family, x));
  // An excluded address can also be reserved (a config edit moved the gateway): count it once.
  const both = excluded.length === 0 ? 0 : store.filterReserved(network, excluded).length;
  const taken = store.countReservedBetween(network, ipText(set.family, lo), ipText(set.family, hi));
  return BigInt(taken + excluded.length - both);
}

function toAllocated(r: Reservation): AllocatedIp {
  const family = r.ip.includes(":") ? 6 : 4;
  const out: AllocatedIp = {
    address: `${r.ip}/${r.prefixLength ?? bitsOf(family)}`,
    family,
    rangeId: r.rangeId,
  };
  if (r.gateway !== undefined) out.gateway = r.gateway;
  return out;
}
