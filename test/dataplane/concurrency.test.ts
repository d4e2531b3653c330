import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Lab, resultIp } from "./fixture.js";

describe("concurrent plugin processes share one store", () => {
  let lab: Lab;
  before(() => {
    lab = new Lab();
  });
  after(() => lab.cleanup());

  it("50 concurrent ADDs get 50 distinct addresses, then 50 concurrent DELs release all", async () => {
    const conf = lab.config({ subnet: "10.90.0.0/24", gateway: "10.90.0.1" });
    const containers = Array.from({ length: 50 }, (_, i) => ({ cid: `burst-${i}`, ns: lab.container() }));
    const adds = await Promise.all(
      containers.map((c) => lab.run({ command: "ADD", containerId: c.cid, netns: c.ns.path, config: conf })),
    );
    const failures = adds.filter((r) => r.code !== 0).map((r) => r.stdout + r.stderr);
    assert.deepEqual(failures, [], "no ADD failed");
    const ips = adds.map((r) => resultIp(r.json!));
    assert.equal(new Set(ips).size, 50, "50 distinct addresses");
    assert.equal(lab.storeState().reservations.length, 50);
    for (const [i, c] of containers.entries()) assert.deepEqual(lab.addrs(c.ns), [ips[i]]);

    const dels = await Promise.all(containers.map((c) => lab.del(c.cid, c.ns.path, conf)));
    assert.deepEqual(
      dels.filter((r) => r.code !== 0).map((r) => r.stdout),
      [],
      "no DEL failed",
    );
    assert.deepEqual(lab.storeState(), { reservations: [], attachments: [] });
    assert.equal(lab.hostLinks().filter((l) => l.ifname.startsWith("veth")).length, 0, "no host veth left");
    assert.equal(lab.nftElements().includes("10.90.0."), false, "no nft element left");
  });
});
