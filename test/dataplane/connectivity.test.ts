import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ipJson, nsExec } from "../helpers/netns.js";
import { Lab, resultIp } from "./fixture.js";

describe("bridge driver: containers on one network", () => {
  let lab: Lab;
  before(() => {
    lab = new Lab();
  });
  after(() => lab.cleanup());

  it("ADD wires two containers that ping each other and the gateway", async () => {
    const [c1, c2] = [lab.container(), lab.container()];
    const conf = lab.config({ dns: { nameservers: ["10.77.0.53"], search: ["quantum.local"] } });
    const r1 = await lab.add("conn-1", c1, conf);
    const r2 = await lab.add("conn-2", c2, conf);

    // The result: [bridge, host veth, container iface with sandbox], ips on interface 2, dns kept.
    const ifaces = r1["interfaces"] as { name: string; mac: string; sandbox?: string }[];
    assert.equal(ifaces.length, 3);
    assert.equal(ifaces[0]?.name, conf["bridge"]);
    assert.match(ifaces[1]?.name ?? "", /^veth[0-9a-f]{8}$/);
    assert.deepEqual({ name: ifaces[2]?.name, sandbox: ifaces[2]?.sandbox }, { name: "eth0", sandbox: c1.path });
    assert.deepEqual(r1["ips"], [{ interface: 2, address: "10.77.0.2/24", gateway: "10.77.0.1" }]);
    assert.deepEqual(r1["dns"], { nameservers: ["10.77.0.53"], search: ["quantum.local"] });
    assert.equal(resultIp(r2), "10.77.0.3");

    // The kernel agrees (ip -j as oracle): address, MAC, default route, host end on the bridge.
    assert.deepEqual(lab.addrs(c1), ["10.77.0.2"]);
    const link = ipJson<{ address: string }[]>(c1.name, ["link", "show", "dev", "eth0"]);
    assert.equal(link[0]?.address, ifaces[2]?.mac);
    const routes = ipJson<{ dst: string; gateway?: string }[]>(c1.name, ["route", "show", "default"]);
    assert.equal(routes[0]?.gateway, "10.77.0.1");
    const port = lab.hostLinks().find((l) => l.ifname === ifaces[1]?.name);
    assert.equal(port?.master, conf["bridge"]);
    assert.ok(lab.addrs(lab.host, conf["bridge"] as string).includes("10.77.0.1"));

    assert.ok(lab.ping(c1, "10.77.0.3"), "c1 -> c2");
    assert.ok(lab.ping(c2, "10.77.0.2"), "c2 -> c1");
    assert.ok(lab.ping(c1, "10.77.0.1"), "c1 -> gateway");
  });

  it("dual-stack: one address of each family, IPv6 pings work", async () => {
    const [c1, c2] = [lab.container(), lab.container()];
    const conf = lab.config({
      name: "dp-dual",
      bridge: `qd${lab.host.name.slice(-8)}`,
      subnet: undefined,
      gateway: undefined,
      subnets: ["10.78.0.0/24", "fd00:78::/64"],
    });
    const r1 = await lab.add("dual-1", c1, conf);
    const r2 = await lab.add("dual-2", c2, conf);
    const ips = (r1["ips"] as { address: string; gateway: string }[]).map((ip) => `${ip.address} gw ${ip.gateway}`);
    assert.deepEqual(ips, ["10.78.0.2/24 gw 10.78.0.1", "fd00:78::2/64 gw fd00:78::1"]);
    assert.deepEqual(lab.addrs(c1, "eth0", "inet6"), ["fd00:78::2"]);
    assert.deepEqual(lab.addrs(c2, "eth0", "inet"), ["10.78.0.3"]);
    assert.ok(lab.ping(c1, resultIp(r2, 6)), "c1 -> c2 over IPv6");
    assert.ok(lab.ping(c2, "fd00:78::1"), "c2 -> IPv6 gateway");
    assert.ok(lab.ping(c1, resultIp(r2, 4)), "c1 -> c2 over IPv4");
  });

  it("re-programs the firewall when the ruleset was removed behind its back", async () => {
    const conf = lab.config({
      name: "dp-refw",
      bridge: `qf${lab.host.name.slice(-8)}`,
      subnet: "10.76.0.0/24",
      gateway: "10.76.0.1",
    });
    await lab.add("refw-1", lab.container(), conf);
    nsExec(lab.host.name, "nft", ["delete", "table", "inet", "quantum"]);
    const r2 = await lab.add("refw-2", lab.container(), conf);
    assert.ok(
      lab.nftElements().includes(`"${resultIp(r2)}"`),
      "the second container's element is back in a fresh table",
    );
  });

  it("[0.2.0] and [0.3.1] results are converted to the config's version", async () => {
    const c = lab.container();
    const r020 = await lab.add("v020", c, lab.config({ cniVersion: "0.2.0" }));
    assert.equal(r020["cniVersion"], "0.2.0");
    assert.match((r020["ip4"] as { ip: string }).ip, /^10\.77\.0\.\d+\/24$/);
    const c2 = lab.container();
    const r031 = await lab.add("v031", c2, lab.config({ cniVersion: "0.3.1" }));
    assert.equal((r031["ips"] as { version: string }[])[0]?.version, "4");
  });
});
