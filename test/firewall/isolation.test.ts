/**
 * The isolation matrix with real pings between private namespaces (see lab.ts): for each level,
 * with and without br_netfilter, what reaches what. Needs root, nft, ip, bridge and ping.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { nftApply, nftAvailable } from "../../src/kernel/nftables.js";
import { Firewall } from "../../src/network/firewall/index.js";
import type { FirewallIsolation, FirewallNetwork } from "../../src/network/firewall/types.js";
import { HOST_UPLINK_IP, Lab, OUTSIDE_IP, sh } from "./lab.js";

const isRoot = process.getuid?.() === 0;
const skip = !isRoot || !nftAvailable() ? "needs root and nft (apt-get install -y nftables iputils-ping)" : false;

interface Expect {
  /** a1 → a2, same network. */
  peer: boolean;
  /** a1 → a2 with both routing through the gateway (the L3 detour around port isolation). */
  hairpin: boolean;
  /** a1 → its gateway. */
  gateway: boolean;
  /** a1 → the host's uplink address (local to the host, not the network's). */
  hostOther: boolean;
  /** a1 → the outside netns, which has no route back: works only if masqueraded. */
  outside: boolean;
}

const cases: { level: FirewallIsolation; ipMasq: boolean; want: Expect }[] = [
  {
    level: "none",
    ipMasq: true,
    want: { peer: true, hairpin: true, gateway: true, hostOther: true, outside: true },
  },
  {
    level: "none",
    ipMasq: false,
    want: { peer: true, hairpin: true, gateway: true, hostOther: true, outside: false },
  },
  {
    level: "internal",
    ipMasq: true,
    want: { peer: true, hairpin: true, gateway: true, hostOther: false, outside: false },
  },
  {
    level: "strict",
    ipMasq: true,
    want: { peer: false, hairpin: false, gateway: true, hostOther: false, outside: false },
  },
];

describe("firewall isolation matrix (private netns lab)", { skip, concurrency: false }, () => {
  const lab = new Lab();
  const { a1, a2, b1 } = lab.containers;
  const fw = new Firewall({ table: `qfwt_${randomBytes(3).toString("hex")}`, netnsPath: lab.hostPath });
  const netA = (isolation: FirewallIsolation, ipMasq: boolean): FirewallNetwork => ({
    id: "aaaa0001",
    bridge: "qbrA",
    subnets: ["10.201.1.0/24"],
    isolation,
    ipMasq,
  });
  const netB: FirewallNetwork = {
    id: "bbbb0002",
    bridge: "qbrB",
    subnets: ["10.201.2.0/24"],
    isolation: "none",
    ipMasq: true,
  };
  /** Echo requests the outside netns received from the host's address and from container addresses. */
  const observed = (): { fromHost: number; fromContainers: number } => {
    const json = JSON.parse(sh("ip", ["netns", "exec", lab.outside, "nft", "-j", "list", "table", "inet", "qobs"]));
    const counters: number[] = [];
    for (const o of json.nftables as Record<string, { expr?: Record<string, { packets?: number }>[] }>[]) {
      const c = o.rule?.expr?.find((e) => e.counter !== undefined)?.counter;
      if (c !== undefined) counters.push(c.packets ?? 0);
    }
    return { fromHost: counters[0] ?? 0, fromContainers: counters[1] ?? 0 };
  };

  before(() => {
    lab.create();
    // Redirects would teach a1 to bypass the gateway: the hairpin case must really go through it.
    lab.inHost("sysctl", ["-qw", "net.ipv4.conf.all.send_redirects=0"]);
    lab.inHost("sysctl", ["-qw", "net.ipv4.conf.qbrA.send_redirects=0"]);
    // An observer in the outside netns (its own private ruleset): who does it see the pings from?
    nftApply(
      [
        "table inet qobs {",
        "  chain obs {",
        "    type filter hook input priority 0;",
        `    ip saddr ${HOST_UPLINK_IP} icmp type echo-request counter`,
        "    ip saddr 10.201.0.0/16 icmp type echo-request counter",
        "  }",
        "}",
        "",
      ].join("\n"),
      { netnsPath: `/var/run/netns/${lab.outside}` },
    );
  });

  after(() => {
    const failed = lab.destroy();
    assert.deepEqual(failed, [], "every lab netns removed");
    assert.deepEqual(lab.leftovers(), []);
  });

  it("control: without our table the host routes between the two networks", async () => {
    assert.equal(await lab.ping(a1.ns, b1.ip), true, "a1 → b1 is routed when nothing isolates");
    assert.equal(await lab.ping(a1.ns, OUTSIDE_IP), false, "no route back from outside without masquerade");
  });

  it("ensures both networks and adds the containers", () => {
    assert.equal(fw.ensureNetwork(netA("none", true)), true);
    assert.equal(fw.ensureNetwork(netB), true);
    for (const [id, c] of [
      [netA("none", true).id, a1],
      [netA("none", true).id, a2],
      [netB.id, b1],
    ] as const) {
      fw.addContainer(id, { containerId: c.ns, ifname: "eth0", ips: [c.ip], hostIfname: c.hostIf });
    }
    assert.deepEqual(
      fw.listNetworks().sort((x, y) => x.id.localeCompare(y.id)),
      [
        { id: "aaaa0001", bridge: "qbrA" },
        { id: "bbbb0002", bridge: "qbrB" },
      ],
    );
  });

  for (const brNf of [false, true]) {
    for (const { level, ipMasq, want } of cases) {
      it(`[br_netfilter ${brNf ? "on" : "off"}] ${level}${ipMasq ? " + ipMasq" : ""}`, async () => {
        lab.setBridgeNfCall(brNf);
        fw.ensureNetwork(netA(level, ipMasq));
        // Port isolation is the bridge driver's job for strict; the lab does it the same way.
        lab.setPortIsolated(a1, level === "strict");
        lab.setPortIsolated(a2, level === "strict");
        const before = observed();
        const [peer, gateway, hostOther, outside, cross, crossBack, bOutside] = await Promise.all([
          lab.ping(a1.ns, a2.ip),
          lab.ping(a1.ns, a1.gateway),
          lab.ping(a1.ns, HOST_UPLINK_IP),
          lab.ping(a1.ns, OUTSIDE_IP),
          lab.ping(a1.ns, b1.ip),
          lab.ping(b1.ns, a1.ip),
          lab.ping(b1.ns, OUTSIDE_IP),
        ]);
        const seen = observed();
        // The detour: both containers route each other through the gateway.
        sh("ip", ["-n", a1.ns, "route", "add", `${a2.ip}/32`, "via", a1.gateway]);
        sh("ip", ["-n", a2.ns, "route", "add", `${a1.ip}/32`, "via", a2.gateway]);
        let hairpin: boolean;
        try {
          hairpin = await lab.ping(a1.ns, a2.ip);
        } finally {
          sh("ip", ["-n", a1.ns, "route", "del", `${a2.ip}/32`]);
          sh("ip", ["-n", a2.ns, "route", "del", `${a1.ip}/32`]);
        }
        assert.deepEqual({ peer, hairpin, gateway, hostOther, outside }, want);
        assert.equal(cross, false, "a1 → b1: two quantum networks never reach each other");
        assert.equal(crossBack, false, "b1 → a1: two quantum networks never reach each other");
        assert.equal(bOutside, true, "b1 (none + ipMasq) still reaches the outside");
        // The outside saw b1 (masqueraded) and a1 from the host's address when masqueraded; an
        // unmasqueraded a1 arrives with its own address and gets no answer (no route back).
        const a1Left = level === "none";
        assert.equal(seen.fromHost - before.fromHost, 1 + (a1Left && ipMasq ? 1 : 0), "echoes from the host's address");
        assert.equal(seen.fromContainers - before.fromContainers, a1Left && !ipMasq ? 1 : 0, "echoes from containers");
      });
    }
  }

  it("br_netfilter really sends bridged traffic through our chain (strict without port isolation)", async () => {
    fw.ensureNetwork(netA("strict", true));
    lab.setPortIsolated(a1, false);
    lab.setPortIsolated(a2, false);
    lab.setBridgeNfCall(false);
    assert.equal(await lab.ping(a1.ns, a2.ip), true, "plain L2: no inet hook sees it");
    lab.setBridgeNfCall(true);
    assert.equal(await lab.ping(a1.ns, a2.ip), false, "bridged through inet forward: our strict drop applies");
    lab.setBridgeNfCall(false);
  });

  it("removeNetwork() and removeAll() leave nothing behind, and the host routes again", async () => {
    assert.equal(fw.removeNetwork("aaaa0001"), true);
    assert.equal(fw.removeNetwork("aaaa0001"), false);
    assert.deepEqual(fw.listNetworks(), [{ id: "bbbb0002", bridge: "qbrB" }]);
    fw.removeAll();
    fw.removeAll();
    assert.throws(() => lab.inHost("nft", ["list", "table", "inet", fw.table]), /No such file or directory/);
    lab.setPortIsolated(a1, false);
    assert.equal(await lab.ping(a1.ns, b1.ip), true);
  });
});
