// The round-robin order host-local hands addresses out in: start just after the set's last reserved
// address (or at range 0's start when there is none or it lies outside the set), step upward, jump
// to the next range's start past a rangeEnd, wrap after the last range, and stop after one full lap.
// A freed address is therefore reused last. The lap is returned as contiguous segments so the
// allocator can search each one with range counts instead of visiting every address.
import type { ParsedRangeSet, Range } from "./ranges.js";

export interface Segment {
  range: Range;
  /** Inclusive bounds, from <= to. */
  from: bigint;
  to: bigint;
}

/** One full lap of set in round-robin order after `after`, as at most ranges+1 segments. */
export function lapSegments(set: ParsedRangeSet, after: bigint | null): Segment[] {
  const ranges = set.ranges;
  const n = ranges.length;
  let first = after === null ? -1 : ranges.findIndex((r) => r.start <= after && after <= r.end);
  let begin: bigint;
  if (first < 0) {
    first = 0;
    begin = ranges[0]!.start;
  } else if (after === ranges[first]!.end) {
    first = (first + 1) % n;
    begin = ranges[first]!.start;
  } else {
    begin = after! + 1n;
  }
  const out: Segment[] = [{ range: ranges[first]!, from: begin, to: ranges[first]!.end }];
  for (let k = 1; k < n; k++) {
    const r = ranges[(first + k) % n]!;
    out.push({ range: r, from: r.start, to: r.end });
  }
  const head = ranges[first]!;
  if (begin > head.start) out.push({ range: head, from: head.start, to: begin - 1n });
  return out;
}
