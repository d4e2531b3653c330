import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Lab, resultIp } from "./fixture.js";

/**
 * The isolation matrix through bin/quantum: for each level, network A (that level) with two
 * containers and network B (none) with one. Same-network traffic works except under strict,
 * the gateway is always reachable, and two quantum networks never reach each other.
 */
for (const level of ["none", "internal", "strict"] as const) {
  describe(`isolation ${level}`, () => {
    let lab: Lab;
    before(() => {
      lab = new Lab();
    });
    after(() => lab.cleanup());

    it(`${level}: pings pass and fail exactly as specified`, async () => {
      const tag = lab.host.name.slice(-7);
      const netA = lab.config({
        name: `iso-a-${level}`,
        bridge: `qa${tag}`,
        subnet: "10.81.0.0/24",
        gateway: "10.81.0.1",
        isolation: level,
      });
      const netB = lab.config({
        name: `iso-b-${level}`,
        bridge: `qz${tag}`,
        subnet: "10.82.0.0/24",
        gateway: "10.82.0.1",
      });
      const [a1, a2, b1] = [lab.container(), lab.container(), lab.container()];
      const ra2 = await lab.add("a1", a1, netA).then(() => lab.add("a2", a2, netA));
      const rb1 = await lab.add("b1", b1, netB);

      assert.equal(lab.ping(a1, resultIp(ra2)), level !== "strict", "a1 -> a2 (same network)");
      assert.ok(lab.ping(a1, "10.81.0.1"), "a1 -> its gateway");
      assert.ok(lab.ping(a2, "10.81.0.1"), "a2 -> its gateway");
      assert.equal(lab.ping(a1, resultIp(rb1)), false, "a1 -> b1 (other network)");
      assert.equal(lab.ping(b1, resultIp(ra2)), false, "b1 -> a2 (other network)");
    });
  });
}
