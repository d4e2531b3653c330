// Routes against the `ip -j route` oracle, inside the container netns of a private pair.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KernelError } from "../../src/kernel/index.js";
import { ipJson } from "../helpers/netns.js";
import type { IpRoute } from "./ip-json.js";
import { needsRoot, type Pair, wire, withPair } from "./pair.js";

/** eth0 with 10.9.0.2/24 and fd00:9::2/64 in the container. */
function setup(p: Pair): number {
  const { eth0 } = wire(p);
  p.ctrRtnl.addAddress(eth0, "10.9.0.2/24");
  p.ctrRtnl.addAddress(eth0, "fd00:9::2/64", { noDad: true });
  return eth0;
}

function ipRoutes(ns: string, args: string[]): IpRoute[] {
  return ipJson<IpRoute[]>(ns, ["-d", ...args]);
}

describe("routes", { skip: needsRoot }, () => {
  it("default route via a gateway (IPv4 and IPv6)", () =>
    withPair((p) => {
      const eth0 = setup(p);
      p.ctrRtnl.addRoute({ dst: "0.0.0.0/0", gw: "10.9.0.1", index: eth0 });
      p.ctrRtnl.addRoute({ dst: "::/0", gw: "fd00:9::1", index: eth0, priority: 1024 });
      const [v4] = ipRoutes(p.ctr.name, ["-4", "route", "show", "default"]);
      assert.equal(v4?.gateway, "10.9.0.1");
      assert.equal(v4?.dev, "eth0");
      assert.equal(v4?.scope, "global");
      assert.equal(v4?.protocol, "boot");
      const [v6] = ipRoutes(p.ctr.name, ["-6", "route", "show", "default"]);
      assert.equal(v6?.gateway, "fd00:9::1");
      assert.equal(v6?.dev, "eth0");
      assert.equal(v6?.metric, 1024);

      const ours = p.ctrRtnl.listRoutes().filter((r) => r.dst === "0.0.0.0/0" || r.dst === "::/0");
      assert.deepEqual(
        ours.map((r) => [r.family, r.dst, r.gw, r.index, r.table]),
        [
          [4, "0.0.0.0/0", "10.9.0.1", eth0, 254],
          [6, "::/0", "fd00:9::1", eth0, 254],
        ],
      );
    }));

  it("scope link, table, priority, mtu and advmss", () =>
    withPair((p) => {
      const eth0 = setup(p);
      p.ctrRtnl.addRoute({ dst: "10.50.0.0/16", index: eth0 });
      p.ctrRtnl.addRoute({ dst: "10.60.0.0/16", gw: "10.9.0.1", table: 100, priority: 7, mtu: 1400, advmss: 1360 });
      p.ctrRtnl.addRoute({ dst: "10.61.0.0/16", gw: "10.9.0.1", table: 1000 });
      p.ctrRtnl.addRoute({ dst: "fd00:50::/48", gw: "fd00:9::1", mtu: 1380 });

      const [link] = ipRoutes(p.ctr.name, ["route", "show", "10.50.0.0/16"]);
      assert.equal(link?.scope, "link");
      assert.equal(link?.gateway, undefined);
      const [t100] = ipRoutes(p.ctr.name, ["route", "show", "table", "100"]);
      assert.equal(t100?.dst, "10.60.0.0/16");
      assert.equal(t100?.metric, 7);
      assert.deepEqual(t100?.metrics, [{ mtu: 1400, advmss: 1360 }]);
      const [t1000] = ipRoutes(p.ctr.name, ["route", "show", "table", "1000"]);
      assert.equal(t1000?.dst, "10.61.0.0/16");
      const [v6] = ipRoutes(p.ctr.name, ["-6", "route", "show", "fd00:50::/48"]);
      assert.deepEqual(v6?.metrics, [{ mtu: 1380 }]);

      const ours = p.ctrRtnl.listRoutes({ table: 100 });
      assert.equal(ours.length, 1);
      assert.deepEqual(
        { ...ours[0] },
        {
          family: 4,
          dst: "10.60.0.0/16",
          gw: "10.9.0.1",
          index: eth0,
          scope: "global",
          table: 100,
          priority: 7,
          mtu: 1400,
          advmss: 1360,
          protocol: 3,
          type: 1,
        },
      );
      assert.deepEqual(
        p.ctrRtnl.listRoutes({ table: 1000 }).map((r) => r.dst),
        ["10.61.0.0/16"],
      );
      const scoped = p.ctrRtnl.listRoutes({ family: 4 }).find((r) => r.dst === "10.50.0.0/16");
      assert.equal(scoped?.scope, "link");
      assert.ok(p.ctrRtnl.listRoutes({ family: 6 }).every((r) => r.family === 6));
      assert.ok(
        p.ctrRtnl.listRoutes({ table: 0 }).some((r) => r.table === 255),
        "table 0 lists every table",
      );
    }));

  it("deleteRoute removes exactly the route; a missing one is ESRCH", () =>
    withPair((p) => {
      const eth0 = setup(p);
      p.ctrRtnl.addRoute({ dst: "10.60.0.0/16", gw: "10.9.0.1", table: 100 });
      p.ctrRtnl.addRoute({ dst: "fd00:50::/48", gw: "fd00:9::1", index: eth0 });
      p.ctrRtnl.deleteRoute({ dst: "10.60.0.0/16", gw: "10.9.0.1", table: 100 });
      p.ctrRtnl.deleteRoute({ dst: "fd00:50::/48", index: eth0 });
      assert.deepEqual(ipRoutes(p.ctr.name, ["route", "show", "table", "100"]), []);
      assert.deepEqual(ipRoutes(p.ctr.name, ["-6", "route", "show", "fd00:50::/48"]), []);
      assert.throws(
        () => p.ctrRtnl.deleteRoute({ dst: "10.60.0.0/16", table: 100 }),
        (e: unknown) => e instanceof KernelError && e.code === "ESRCH" && e.message.startsWith("route 10.60.0.0/16:"),
      );
    }));

  it("errors carry the kernel's extended-ack message", () =>
    withPair((p) => {
      setup(p);
      assert.throws(
        () => p.ctrRtnl.addRoute({ dst: "10.70.0.0/16", gw: "10.99.0.1" }),
        (e: unknown) =>
          e instanceof KernelError &&
          typeof e.kernelMessage === "string" &&
          e.kernelMessage.length > 0 &&
          e.message.includes(`(kernel: ${e.kernelMessage})`),
      );
      assert.deepEqual(ipRoutes(p.ctr.name, ["route", "show", "10.70.0.0/16"]), []);
    }));
});
