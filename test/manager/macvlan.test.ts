// Macvlan networks: created with quantumctl, two containers ADDed through bin/quantum get
// sub-interfaces of a veth parent (bridge mode) inside a private host netns and reach each other.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CtlLab, ok } from "../cli/ctl.js";
import { resultIp } from "../dataplane/fixture.js";
import { ipIn, ipJson } from "../helpers/netns.js";

describe("macvlan driver", () => {
  let lab: CtlLab;
  const parent = "qmvp0";
  before(() => {
    lab = new CtlLab();
    // A veth pair as the parent: macvlan needs a parent with carrier, and bridge mode switches
    // between sub-interfaces of one parent inside the kernel.
    ipIn(lab.host.name, ["link", "add", parent, "type", "veth", "peer", "name", "qmvp1"]);
    ipIn(lab.host.name, ["link", "set", parent, "up"]);
    ipIn(lab.host.name, ["link", "set", "qmvp1", "up"]);
  });
  after(() => lab.cleanup());

  it("two containers on a macvlan network over a veth parent ping each other", async () => {
    ok(
      await lab.ctl([
        "network",
        "create",
        "mv-net",
        "--driver",
        "macvlan",
        "--master",
        parent,
        "--subnet",
        "10.79.0.0/24",
        "--install",
      ]),
      "network create",
    );
    const list = JSON.parse(readFileSync(join(lab.configDir, "mv-net.conflist"), "utf8"));
    assert.equal(list.plugins[0].driver, "macvlan");
    assert.equal(list.plugins[0].master, parent);
    assert.equal(list.plugins[0].macvlanMode, "bridge");
    const config = { ...list.plugins[0], cniVersion: list.cniVersion, name: list.name };

    const c1 = lab.container();
    const c2 = lab.container();
    const r1 = await lab.add("mv-c1", c1, config);
    const r2 = await lab.add("mv-c2", c2, config);
    const eth0 = ipJson<{ linkinfo?: { info_kind?: string; info_data?: { mode?: string } } }[]>(c1.name, [
      "-d",
      "link",
      "show",
      "dev",
      "eth0",
    ])[0];
    assert.equal(eth0?.linkinfo?.info_kind, "macvlan");
    assert.equal(eth0?.linkinfo?.info_data?.mode, "bridge");
    assert.ok(lab.ping(c1, resultIp(r2)), "c1 reaches c2");
    assert.ok(lab.ping(c2, resultIp(r1)), "c2 reaches c1");

    for (const [cid, ns] of [
      ["mv-c1", c1],
      ["mv-c2", c2],
    ] as const) {
      const del = await lab.del(cid, ns.path, config);
      assert.equal(del.code, 0, del.stdout);
      assert.deepEqual(
        ipJson<{ ifname: string }[]>(ns.name, ["link", "show"]).map((l) => l.ifname),
        ["lo"],
      );
    }
    ok(await lab.ctl(["network", "rm", "mv-net"]), "network rm");
    assert.deepEqual(lab.storeState("mv-net"), { reservations: [], attachments: [] });
  });

  it("ipvlan is refused with a clear error", async () => {
    const run = await lab.ctl(["network", "create", "iv-net", "--driver", "ipvlan", "--subnet", "10.80.0.0/24"]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /driver "ipvlan" is not supported: this host's kernel has no ipvlan support/);
  });
});
