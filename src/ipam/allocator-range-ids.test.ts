import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SqliteStore } from "../store/index.js";
import { Allocator } from "./allocator.js";

describe("Allocator rangeSetIds: one set of a network at a time, under the network's set id", () => {
  const withStore = (fn: (s: SqliteStore) => void) => {
    const dir = mkdtempSync(join(tmpdir(), "qipam-"));
    const store = SqliteStore.open(dir);
    try {
      fn(store);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const v4 = [{ subnet: "10.5.0.0/24" }];
  const v6 = [{ subnet: "fd05::/64" }];

  it("records the given id, and round-robin continues from it for callers of all sets", () => {
    withStore((store) => {
      const a = new Allocator(store);
      const [six] = a.allocate({
        network: "n",
        containerId: "d1",
        ifname: "docker",
        rangeSets: [v6],
        rangeSetIds: ["1"],
      });
      assert.equal(six?.rangeId, "1");
      assert.equal(store.getById("n", "d1", "docker")[0]?.rangeId, "1");
      assert.equal(store.lastReserved("n", "1"), "fd05::2");
      assert.equal(store.lastReserved("n", "0"), null);
      // A CNI ADD of both sets continues after Docker's address in set 1.
      const both = a.allocate({ network: "n", containerId: "c1", ifname: "eth0", rangeSets: [v4, v6] });
      assert.deepEqual(
        both.map((x) => [x.rangeId, x.address]),
        [
          ["0", "10.5.0.2/24"],
          ["1", "fd05::3/64"],
        ],
      );
      assert.deepEqual(
        a.usage("n", [v4, v6]).map((u) => u.used),
        [1, 2],
      );
    });
  });

  it("refuses ids that do not match the sets", () => {
    withStore((store) => {
      const a = new Allocator(store);
      for (const ids of [[], ["0", "1"], [""]]) {
        assert.throws(
          () => a.allocate({ network: "n", containerId: "x", ifname: "e", rangeSets: [v4], rangeSetIds: ids }),
          /rangeSetIds: one non-empty id per range set expected/,
        );
      }
    });
  });
});
