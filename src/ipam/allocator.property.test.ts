// Property: whatever sequence of ADDs and DELs arrives, an address is never held by two owners, never
// is a network, broadcast or gateway address, always lies in a configured range, and a failed ADD
// changes nothing. Small pools make exhaustion, wrap-around and requested-IP clashes common.
import assert from "node:assert/strict";
import { it } from "node:test";
import fc from "fast-check";
import { MemoryStore } from "../store/testing/index.js";
import { tryParseCidr } from "./address.js";
import { Allocator } from "./allocator.js";
import { IpamError } from "./errors.js";
import { parseRangeSets, type RangeSet } from "./ranges.js";

const CONFIGS: RangeSet[][] = [
  [[{ subnet: "10.0.0.0/28" }]],
  [[{ subnet: "10.0.0.0/29", rangeStart: "10.0.0.0", rangeEnd: "10.0.0.7", gateway: "10.0.0.4" }]],
  [
    [
      { subnet: "10.0.0.0/29", rangeStart: "10.0.0.3" },
      { subnet: "10.0.1.0/30", gateway: "10.0.1.2" },
    ],
  ],
  [[{ subnet: "10.0.0.0/29" }], [{ subnet: "fd00::/124", rangeStart: "fd00::8" }]],
];

type Op =
  | { kind: "add"; cid: number; ifname: string; requested: [number, number] | null }
  | { kind: "del"; cid: number; ifname: string };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("add" as const),
    cid: fc.nat(11),
    ifname: fc.constantFrom("eth0", "eth1"),
    requested: fc.oneof(
      { arbitrary: fc.constant(null), weight: 3 },
      { arbitrary: fc.tuple(fc.nat(1), fc.nat(15)), weight: 1 },
    ),
  }),
  fc.record({ kind: fc.constant("del" as const), cid: fc.nat(11), ifname: fc.constantFrom("eth0", "eth1") }),
);

it("random ADD/DEL sequences never hand out an address twice or a reserved one", (t) => {
  const stats = { runs: 0, added: 0 };
  fc.assert(
    fc.property(fc.nat(CONFIGS.length - 1), fc.array(opArb, { minLength: 10, maxLength: 80 }), (ci, ops) => {
      const rangeSets = CONFIGS[ci]!;
      const sets = parseRangeSets(rangeSets);
      const store = new MemoryStore();
      const alloc = new Allocator(store);
      const live = new Map<string, string>(); // address -> owner
      let added = 0;
      for (const op of ops) {
        const owner = `c${op.cid}/${op.ifname}`;
        if (op.kind === "del") {
          for (const r of alloc.release("n", `c${op.cid}`, op.ifname)) live.delete(r.ip);
          continue;
        }
        const before = JSON.stringify(store.listReservations());
        // A requested address in 10.0.0.0/28 or 10.0.1.0/28: sometimes free, taken, reserved or outside.
        const requested = op.requested === null ? undefined : [`10.0.${op.requested[0]}.${op.requested[1]}`];
        let got: ReturnType<Allocator["allocate"]>;
        try {
          got = alloc.allocate({ network: "n", containerId: `c${op.cid}`, ifname: op.ifname, rangeSets, requested });
        } catch (e) {
          assert.ok(e instanceof IpamError, `unexpected ${String(e)}`);
          assert.equal(JSON.stringify(store.listReservations()), before, "a failed ADD must change nothing");
          continue;
        }
        assert.equal(got.length, sets.length);
        added++;
        for (const [i, a] of got.entries()) {
          const cidr = tryParseCidr(a.address)!;
          const ip = a.address.split("/")[0]!;
          assert.equal(live.has(ip), false, `${ip} handed to ${owner} while held by ${live.get(ip)}`);
          live.set(ip, owner);
          const set = sets[i]!;
          assert.equal(set.excluded.has(cidr.ip.value), false, `${ip} is a network, broadcast or gateway address`);
          assert.ok(
            set.ranges.some(
              (r) => r.start <= cidr.ip.value && cidr.ip.value <= r.end && r.prefixLength === cidr.prefixLength,
            ),
            `${a.address} is outside range set ${i}`,
          );
        }
      }
      assert.equal(store.countReservations("n"), live.size);
      stats.runs++;
      stats.added += added;
    }),
    { numRuns: 300 },
  );
  t.diagnostic(`${stats.runs} sequences, ${stats.added} successful ADDs`);
  assert.ok(stats.added > stats.runs, "the generator should mostly produce successful ADDs");
});
