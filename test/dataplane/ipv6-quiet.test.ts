// On a network without IPv6 the container's interface gets no IPv6 link-local address (so it sends
// no DAD, MLD or router solicitation for the bridge to flood to every port) but IPv4 works; on a
// dual-stack network IPv6 is configured as before. Checked with `ip -j addr` in the container netns
// and /proc/sys read inside it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ipJson, nsExec } from "../helpers/netns.js";
import { type IpAddrInfo, Lab } from "./fixture.js";

function inet6(_lab: Lab, ns: { name: string }): { local: string; scope: string }[] {
  const [eth0] = ipJson<IpAddrInfo[]>(ns.name, ["addr", "show", "dev", "eth0"]);
  return (eth0?.addr_info ?? []).filter((a) => a.family === "inet6");
}

describe("IPv6 on the container interface", () => {
  let lab: Lab;
  before(() => {
    lab = new Lab();
  });
  after(() => lab?.cleanup());

  it("IPv4-only network: no IPv6 link-local on eth0, addr_gen_mode none, IPv4 reaches the gateway", async () => {
    const c = lab.container();
    await lab.add("v4only-1", c, lab.config());
    assert.deepEqual(inet6(lab, c), [], "no IPv6 address at all on eth0");
    assert.equal(nsExec(c.name, "cat", ["/proc/sys/net/ipv6/conf/eth0/addr_gen_mode"]).trim(), "1");
    assert.equal(nsExec(c.name, "cat", ["/proc/sys/net/ipv6/conf/eth0/disable_ipv6"]).trim(), "0", "IPv6 stays on");
    assert.ok(lab.ping(c, "10.77.0.1"), "IPv4 to the gateway");
  });

  it("dual-stack network: the IPv6 address and the link-local one as before", async () => {
    const c = lab.container();
    const conf = lab.config({
      name: "dp-q6",
      bridge: `qq${lab.host.name.slice(-8)}`,
      subnet: undefined,
      gateway: undefined,
      subnets: ["10.79.0.0/24", "fd00:79::/64"],
    });
    await lab.add("dual-q6", c, conf);
    const scopes = inet6(lab, c).map((a) => `${a.scope} ${a.local.startsWith("fe80:") ? "fe80" : a.local}`);
    assert.deepEqual(scopes.sort(), ["global fd00:79::2", "link fe80"]);
    assert.ok(lab.ping(c, "fd00:79::1"), "IPv6 to the gateway");
  });
});
