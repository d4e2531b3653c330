import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ipText } from "./address.js";
import { parseRangeSets } from "./ranges.js";
import { lapSegments } from "./walk.js";

const [set] = parseRangeSets([
  [
    { subnet: "10.0.0.0/24", rangeStart: "10.0.0.10", rangeEnd: "10.0.0.19" },
    { subnet: "10.0.1.0/24", rangeStart: "10.0.1.10", rangeEnd: "10.0.1.19" },
  ],
]);
const ip = (s: string): bigint => BigInt(s.split(".").reduce((acc, o) => acc * 256 + Number(o), 0));
const show = (after: string | null): string[] =>
  lapSegments(set!, after === null ? null : ip(after)).map((s) => `${ipText(4, s.from)}-${ipText(4, s.to)}`);

describe("lapSegments()", () => {
  it("starts at range 0's start without a last reserved address, or with one outside the set", () => {
    assert.deepEqual(show(null), ["10.0.0.10-10.0.0.19", "10.0.1.10-10.0.1.19"]);
    assert.deepEqual(show("10.0.0.5"), ["10.0.0.10-10.0.0.19", "10.0.1.10-10.0.1.19"]);
  });

  it("continues after the last reserved address and wraps back to it, covering each address once", () => {
    assert.deepEqual(show("10.0.0.14"), ["10.0.0.15-10.0.0.19", "10.0.1.10-10.0.1.19", "10.0.0.10-10.0.0.14"]);
  });

  it("moves to the next range after a rangeEnd, wrapping from the last range to range 0", () => {
    assert.deepEqual(show("10.0.0.19"), ["10.0.1.10-10.0.1.19", "10.0.0.10-10.0.0.19"]);
    assert.deepEqual(show("10.0.1.19"), ["10.0.0.10-10.0.0.19", "10.0.1.10-10.0.1.19"]);
    assert.deepEqual(show("10.0.0.10"), ["10.0.0.11-10.0.0.19", "10.0.1.10-10.0.1.19", "10.0.0.10-10.0.0.10"]);
  });
});
