import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryStore } from "../store/testing/index.js";
import {
  InvalidNetworkError,
  NetworkExistsError,
  NetworkInUseError,
  NetworkNotFoundError,
} from "./network-validation.js";
import { IsolationLevel, NetworkDriverType } from "./types.js";
import { VirtualNetworkManager } from "./virtual-network-manager.js";

function manager(): VirtualNetworkManager {
  return new VirtualNetworkManager(new MemoryStore(), { closeStore: true });
}

describe("VirtualNetworkManager", () => {
  it("createNetwork() persists a network with the first host as default gateway and a default route", async () => {
    const vnm = manager();
    const n = await vnm.createNetwork(
      "my-network",
      "172.17.0.0/16",
      undefined,
      NetworkDriverType.Bridge,
      IsolationLevel.None,
    );
    assert.equal(n.gateway, "172.17.0.1");
    assert.equal(n.bridge, "qbr-my-network");
    assert.deepEqual(n.routes, [{ dst: "0.0.0.0/0", gw: "172.17.0.1" }]);
    assert.deepEqual(await vnm.getNetwork("my-network"), n);
    assert.deepEqual(
      (await vnm.listNetworks()).map((x) => x.name),
      ["my-network"],
    );
    assert.equal(await vnm.getNetwork("other"), null);
    vnm.close();
  });

  it("createNetwork() accepts dual-stack and macvlan networks", async () => {
    const vnm = manager();
    const ds = await vnm.createNetwork("ds", "10.9.0.0/24", "10.9.0.254", "bridge", "strict", {
      subnets: ["fd00:9::/64"],
    });
    assert.deepEqual(ds.subnets, [
      { subnet: "10.9.0.0/24", gateway: "10.9.0.254" },
      { subnet: "fd00:9::/64", gateway: "fd00:9::1" },
    ]);
    const mv = await vnm.createNetwork("mv", "10.10.0.0/24", null, NetworkDriverType.Macvlan, IsolationLevel.None, {
      master: "eth1",
    });
    assert.equal(mv.master, "eth1");
    assert.equal(mv.macvlanMode, "bridge");
    assert.equal(mv.bridge, undefined);
    vnm.close();
  });

  describe("bad input is refused with a clear error and nothing stored", () => {
    const cases: [string, (v: VirtualNetworkManager) => Promise<unknown>, RegExp][] = [
      ["a name with /", (v) => v.createNetwork("a/b", "10.1.0.0/24", undefined, "bridge", "none"), /contains "\/"/],
      ["a name with ..", (v) => v.createNetwork("a..b", "10.1.0.0/24", undefined, "bridge", "none"), /contains "\.\."/],
      ["the name ..", (v) => v.createNetwork("..", "10.1.0.0/24", undefined, "bridge", "none"), /contains "\.\."/],
      ["a name with a space", (v) => v.createNetwork("a b", "10.1.0.0/24", undefined, "bridge", "none"), /whitespace/],
      [
        "a 300-character name",
        (v) => v.createNetwork("n".repeat(300), "10.1.0.0/24", undefined, "bridge", "none"),
        /longer than 100 characters \(300\)/,
      ],
      ["an empty name", (v) => v.createNetwork("", "10.1.0.0/24", undefined, "bridge", "none"), /is empty/],
      ["a subnet that is no CIDR", (v) => v.createNetwork("n", "10.1.0.0", undefined, "bridge", "none"), /not a CIDR/],
      [
        "a subnet with host bits",
        (v) => v.createNetwork("n", "10.1.0.7/24", undefined, "bridge", "none"),
        /host bits are set \(did you mean "10\.1\.0\.0\/24"\?\)/,
      ],
      ["a /31", (v) => v.createNetwork("n", "10.1.0.0/31", undefined, "bridge", "none"), /at most \/30/],
      [
        "a gateway outside the subnet",
        (v) => v.createNetwork("n", "10.1.0.0/24", "10.2.0.1", "bridge", "none"),
        /gateway "10\.2\.0\.1": outside subnet "10\.1\.0\.0\/24"/,
      ],
      [
        "a gateway of the other family",
        (v) => v.createNetwork("n", "10.1.0.0/24", "fd00::1", "bridge", "none"),
        /outside subnet/,
      ],
      [
        "the network address as gateway",
        (v) => v.createNetwork("n", "10.1.0.0/24", "10.1.0.0", "bridge", "none"),
        /network address/,
      ],
      [
        "the broadcast as gateway",
        (v) => v.createNetwork("n", "10.1.0.0/24", "10.1.0.255", "bridge", "none"),
        /broadcast/,
      ],
      [
        "an unknown driver",
        (v) => v.createNetwork("n", "10.1.0.0/24", undefined, "vxlan" as "bridge", "none"),
        /unknown driver "vxlan" \(supported: bridge, macvlan\)/,
      ],
      [
        "ipvlan",
        (v) => v.createNetwork("n", "10.1.0.0/24", undefined, "ipvlan" as "bridge", "none"),
        /"ipvlan" is not supported: .*no ipvlan/,
      ],
      [
        "overlay (subnet comes from the fabric, not from createNetwork)",
        (v) => v.createNetwork("n", "10.1.0.0/24", undefined, NetworkDriverType.Overlay, "none"),
        /take their subnet from the node's fabric lease/,
      ],
      [
        "an unknown isolation",
        (v) => v.createNetwork("n", "10.1.0.0/24", undefined, "bridge", "total" as "none"),
        /unknown isolation level "total" \(one of: none, internal, strict\)/,
      ],
      ["macvlan without master", (v) => v.createNetwork("n", "10.1.0.0/24", undefined, "macvlan", "none"), /"master"/],
      [
        "two IPv4 subnets",
        (v) => v.createNetwork("n", "10.1.0.0/24", undefined, "bridge", "none", { subnets: ["10.2.0.0/24"] }),
        /at most one IPv4 subnet/,
      ],
      [
        "a bad bridge name",
        (v) => v.createNetwork("n", "10.1.0.0/24", undefined, "bridge", "none", { bridge: "a-very-long-bridge-name" }),
        /invalid bridge .*longer than 15 bytes/,
      ],
      [
        "a bad mtu",
        (v) => v.createNetwork("n", "10.1.0.0/24", undefined, "bridge", "none", { mtu: 20 }),
        /invalid mtu/,
      ],
    ];
    for (const [what, call, message] of cases) {
      it(`createNetwork() refuses ${what}`, async () => {
        const vnm = manager();
        await assert.rejects(call(vnm), (err: Error) => {
          assert.ok(err instanceof InvalidNetworkError, `${err.name}: ${err.message}`);
          assert.match(err.message, message);
          return true;
        });
        assert.deepEqual(await vnm.listNetworks(), []);
        vnm.close();
      });
    }
  });

  it("createNetwork() refuses a subnet overlapping another network's, a duplicate name and a shared bridge", async () => {
    const vnm = manager();
    await vnm.createNetwork("a", "10.20.0.0/16", undefined, "bridge", "none", { subnets: ["fd00:20::/48"] });
    await assert.rejects(
      vnm.createNetwork("b", "10.20.128.0/24", undefined, "bridge", "none"),
      /subnet "10\.20\.128\.0\/24" overlaps subnet "10\.20\.0\.0\/16" of network "a"/,
    );
    await assert.rejects(vnm.createNetwork("c", "10.0.0.0/8", undefined, "bridge", "none"), /overlaps/);
    await assert.rejects(
      vnm.createNetwork("d", "10.21.0.0/16", undefined, "bridge", "none", { subnets: ["fd00:20:0:1::/64"] }),
      /"fd00:20:0:1::\/64" overlaps subnet "fd00:20::\/48"/,
    );
    await assert.rejects(vnm.createNetwork("a", "10.30.0.0/16", undefined, "bridge", "none"), NetworkExistsError);
    await assert.rejects(
      vnm.createNetwork("e", "10.31.0.0/16", undefined, "bridge", "none", { bridge: "qbr-a" }),
      /bridge "qbr-a" is already used by network "a"/,
    );
    assert.deepEqual(
      (await vnm.listNetworks()).map((n) => n.name),
      ["a"],
    );
    vnm.close();
  });

  it("deleteNetwork() refuses while attached unless forced, and reports an unknown network", async () => {
    const store = new MemoryStore();
    const vnm = new VirtualNetworkManager(store);
    await vnm.createNetwork("busy", "10.40.0.0/24", undefined, "bridge", "none");
    store.putAttachment({ network: "busy", containerId: "c1", ifname: "eth0", netns: "", ips: [], result: {} });
    await assert.rejects(vnm.deleteNetwork("busy"), (err: Error) => {
      assert.ok(err instanceof NetworkInUseError);
      assert.match(err.message, /network "busy" is in use: 1 attachment \(c1\/eth0\)/);
      return true;
    });
    assert.ok(await vnm.getNetwork("busy"));
    store.deleteAttachment("busy", "c1", "eth0");
    store.reserve({ network: "busy", rangeId: "0", ip: "10.40.0.9", containerId: "c2", ifname: "eth0" });
    await assert.rejects(vnm.deleteNetwork("busy"), /1 address reservation without attachment/);
    await assert.rejects(vnm.deleteNetwork("nope"), NetworkNotFoundError);
    await assert.rejects(vnm.deleteNetwork("../etc"), InvalidNetworkError);
    store.close();
  });

  it("ignores records other writers keep in the networks table, and replaces them on create", async () => {
    const store = new MemoryStore();
    store.putNetwork({ name: "seen", spec: { source: "quantumd", id: "x", driver: "bridge", bridge: "br9" } });
    const vnm = new VirtualNetworkManager(store);
    assert.deepEqual(await vnm.listNetworks(), []);
    assert.equal(await vnm.getNetwork("seen"), null);
    const n = await vnm.createNetwork("seen", "10.50.0.0/24", undefined, "bridge", "none");
    assert.deepEqual(await vnm.getNetwork("seen"), n);
    store.close();
  });
});
