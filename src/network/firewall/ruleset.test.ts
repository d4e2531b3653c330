import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { nftApply, nftAvailable } from "../../kernel/nftables.js";
import {
  addContainerScript,
  ensureNetworkScript,
  removeContainersScript,
  removeNetworkScript,
  removeTableScript,
  tableScript,
} from "./ruleset.js";
import type { FirewallIsolation, FirewallNetwork } from "./types.js";

const T = "quantum";
const base: FirewallNetwork = {
  id: "a1b2c3d4",
  bridge: "qbr0",
  subnets: ["10.88.0.0/16", "fd00:88::/64"],
  isolation: "none",
  ipMasq: true,
};
const net = (o: Partial<FirewallNetwork> = {}): FirewallNetwork => ({ ...base, ...o });
const lines = (s: string): string[] => s.split("\n").filter((l) => l !== "");
const rulesOf = (s: string, chain: string): string[] =>
  lines(s)
    .filter((l) => l.startsWith(`add rule inet ${T} ${chain} `))
    .map((l) => l.slice(`add rule inet ${T} ${chain} `.length));

describe("ruleset: tableScript()", () => {
  const s = tableScript(T);

  it("declares the three base chains with their hooks and accept policy", () => {
    assert.ok(
      s.includes("add chain inet quantum forward { type filter hook forward priority filter; policy accept; }"),
    );
    assert.ok(s.includes("add chain inet quantum input { type filter hook input priority filter; policy accept; }"));
    assert.ok(
      s.includes("add chain inet quantum postrouting { type nat hook postrouting priority srcnat; policy accept; }"),
    );
  });

  it("flushes each base chain before refilling it, so re-running never duplicates a rule", () => {
    const ls = lines(s);
    for (const c of ["forward", "input", "postrouting"]) {
      const flush = ls.indexOf(`flush chain inet quantum ${c}`);
      const firstRule = ls.findIndex((l) => l.startsWith(`add rule inet quantum ${c} `));
      assert.ok(flush >= 0 && firstRule > flush, c);
    }
  });

  it("accepts established/related first, then dispatches through the ifname maps", () => {
    assert.deepEqual(rulesOf(s, "forward"), [
      "ct state established,related accept",
      "iifname vmap @fwd_from",
      "oifname vmap @fwd_to",
    ]);
    assert.deepEqual(rulesOf(s, "input"), ["iifname vmap @in_from"]);
    // Host ports' masquerade (hostports.ts) comes before any network's nat chain.
    assert.deepEqual(rulesOf(s, "postrouting"), [
      "meta mark & 0x2000 == 0x2000 ct status dnat masquerade",
      "iifname vmap @nat_from",
    ]);
  });

  it("refuses a table name that is not a plain identifier", () => {
    assert.throws(() => tableScript('q"; flush ruleset'), TypeError);
    assert.throws(() => tableScript(""), TypeError);
  });
});

describe("ruleset: ensureNetworkScript()", () => {
  it("never flushes the address sets (they hold the containers), only the network's chains", () => {
    const { script } = ensureNetworkScript(T, net());
    assert.ok(!/flush set/.test(script));
    for (const c of ["from", "to", "in", "nat"])
      assert.ok(script.includes(`flush chain inet quantum n_a1b2c3d4_${c}\n`));
    assert.ok(script.includes("add set inet quantum n_a1b2c3d4_a4 { type ipv4_addr; }"));
    assert.ok(script.includes("add set inet quantum n_a1b2c3d4_a6 { type ipv6_addr; }"));
  });

  it("registers the bridge in the bridges set and every dispatch map", () => {
    const { script } = ensureNetworkScript(T, net());
    assert.ok(script.includes('add element inet quantum bridges { "qbr0" }'));
    for (const [map, chain] of [
      ["fwd_from", "from"],
      ["fwd_to", "to"],
      ["in_from", "in"],
      ["nat_from", "nat"],
    ]) {
      assert.ok(script.includes(`add element inet quantum ${map} { "qbr0" : jump n_a1b2c3d4_${chain} }`), map);
    }
  });

  it("none: intra-network and anti-spoofed routed traffic out are accepted, other quantum bridges dropped", () => {
    const { script, marker } = ensureNetworkScript(T, net());
    assert.deepEqual(rulesOf(script, "n_a1b2c3d4_from"), [
      'oifname "qbr0" accept',
      `oifname @bridges drop comment "${marker}"`,
      "ip saddr != @n_a1b2c3d4_a4 drop",
      "ip6 saddr != @n_a1b2c3d4_a6 drop",
      "accept",
    ]);
    assert.deepEqual(rulesOf(script, "n_a1b2c3d4_to"), ["iifname @bridges drop", "accept"]);
    assert.deepEqual(rulesOf(script, "n_a1b2c3d4_in"), []);
  });

  it("internal: intra-network accepted (br_netfilter), nothing forwarded out or in", () => {
    const { script, marker } = ensureNetworkScript(T, net({ isolation: "internal" }));
    assert.deepEqual(rulesOf(script, "n_a1b2c3d4_from"), [
      'oifname "qbr0" accept',
      `oifname @bridges drop comment "${marker}"`,
      "drop",
    ]);
    assert.deepEqual(rulesOf(script, "n_a1b2c3d4_to"), ["iifname @bridges drop", "drop"]);
  });

  it("strict: even bridge-to-bridge (hairpin through the gateway) is dropped", () => {
    const { script } = ensureNetworkScript(T, net({ isolation: "strict" }));
    const from = rulesOf(script, "n_a1b2c3d4_from");
    assert.equal(from[0], 'oifname "qbr0" drop');
    assert.equal(from.at(-1), "drop");
  });

  for (const isolation of ["internal", "strict"] as const) {
    it(`${isolation}: the host answers from the bridge only on the network's own addresses`, () => {
      const { script } = ensureNetworkScript(T, net({ isolation }));
      assert.deepEqual(rulesOf(script, "n_a1b2c3d4_in"), [
        "ip daddr != { 10.88.0.0/16 } ip daddr != { 224.0.0.0/4, 255.255.255.255 } drop",
        "ip6 daddr != { fd00:88::/64 } ip6 daddr != { fe80::/10, ff00::/8 } drop",
      ]);
    });
  }

  it("ipMasq: masquerades the containers' addresses to outside the subnets, per family, never multicast", () => {
    const { script } = ensureNetworkScript(T, net());
    assert.deepEqual(rulesOf(script, "n_a1b2c3d4_nat"), [
      'oifname != "qbr0" ip saddr @n_a1b2c3d4_a4 ip daddr != { 10.88.0.0/16 } ip daddr != 224.0.0.0/4 masquerade',
      'oifname != "qbr0" ip6 saddr @n_a1b2c3d4_a6 ip6 daddr != { fd00:88::/64 } ip6 daddr != ff00::/8 masquerade',
    ]);
    const v4only = ensureNetworkScript(T, net({ subnets: ["10.88.0.0/16"] })).script;
    assert.equal(rulesOf(v4only, "n_a1b2c3d4_nat").length, 1);
    assert.deepEqual(rulesOf(ensureNetworkScript(T, net({ ipMasq: false })).script, "n_a1b2c3d4_nat"), []);
  });

  it("normalises subnets and drops duplicates and subnets inside another (nft refuses overlaps)", () => {
    const { script } = ensureNetworkScript(
      T,
      net({ subnets: ["10.88.0.5/24", "10.88.0.0/24", "10.0.0.0/8", "10.88.1.0/24", "192.168.1.0/24"] }),
    );
    assert.ok(script.includes("ip daddr != { 10.0.0.0/8, 192.168.1.0/24 }"), script);
  });

  it("gives the same marker for the same network and a different one for any change", () => {
    const a = ensureNetworkScript(T, net()).marker;
    assert.equal(ensureNetworkScript(T, net()).marker, a);
    assert.match(a, /^quantum-net [0-9a-f]{16}$/);
    const others = [
      net({ isolation: "internal" }),
      net({ isolation: "strict" }),
      net({ ipMasq: false }),
      net({ subnets: ["10.88.0.0/16"] }),
      net({ bridge: "qbr1" }),
    ].map((n) => ensureNetworkScript(T, n).marker);
    assert.equal(new Set([a, ...others]).size, 6);
    assert.equal(ensureNetworkScript(T, net()).script.split(a).length, 2, "the marker appears once");
  });

  it("refuses ids, bridges, subnets and isolations that could break the script", () => {
    assert.throws(() => ensureNetworkScript(T, net({ id: "a-b" })), /invalid firewall network id/);
    assert.throws(() => ensureNetworkScript(T, net({ id: "x".repeat(17) })), /invalid firewall network id/);
    assert.throws(() => ensureNetworkScript(T, net({ bridge: 'br"0' })), /invalid bridge name/);
    assert.throws(() => ensureNetworkScript(T, net({ bridge: "a-very-long-bridge" })), /invalid bridge name/);
    assert.throws(() => ensureNetworkScript(T, net({ subnets: ["10.0.0.0/33"] })), /invalid subnet/);
    assert.throws(() => ensureNetworkScript(T, net({ subnets: ["10.0.0.0"] })), /invalid subnet/);
    assert.throws(() => ensureNetworkScript(T, net({ subnets: [] })), /no subnets/);
    assert.throws(
      () => ensureNetworkScript(T, net({ isolation: "open" as FirewallIsolation })),
      /invalid isolation "open"/,
    );
  });
});

describe("ruleset: container elements", () => {
  const c = { containerId: "c0ffee", ifname: "eth0", ips: ["10.88.0.5", "fd00:88:0::5"], hostIfname: "veth1a2b" };

  it("create mode adds each family's addresses with the owner in the comment", () => {
    assert.equal(
      addContainerScript(T, "a1b2c3d4", c, "create"),
      'create element inet quantum n_a1b2c3d4_a4 { 10.88.0.5 comment "c0ffee/eth0/veth1a2b" }\n' +
        'create element inet quantum n_a1b2c3d4_a6 { fd00:88::5 comment "c0ffee/eth0/veth1a2b" }\n',
    );
  });

  it("replace mode re-adds the addresses so the comment names the new owner", () => {
    const s = lines(addContainerScript(T, "a1b2c3d4", { ...c, ips: ["10.88.0.5"], hostIfname: undefined }, "replace"));
    assert.deepEqual(s, [
      "add element inet quantum n_a1b2c3d4_a4 { 10.88.0.5 }",
      "delete element inet quantum n_a1b2c3d4_a4 { 10.88.0.5 }",
      'add element inet quantum n_a1b2c3d4_a4 { 10.88.0.5 comment "c0ffee/eth0" }',
    ]);
  });

  it("no addresses, no script", () => {
    assert.equal(addContainerScript(T, "a1b2c3d4", { ...c, ips: [] }, "create"), "");
    assert.equal(removeContainersScript(T, "a1b2c3d4", []), "");
  });

  it("refuses bad addresses and container ids", () => {
    assert.throws(() => addContainerScript(T, "n1", { ...c, ips: ["10.88.0.5/24"] }, "create"), /invalid IP/);
    assert.throws(() => addContainerScript(T, "n1", { ...c, ips: ["10.88.0"] }, "create"), /invalid IP/);
    assert.throws(() => addContainerScript(T, "n1", { ...c, containerId: 'x" }' }, "create"), /container id/);
    // A long (valid) id is carried hashed instead of failing on the comment limit (issue 10).
    assert.match(
      addContainerScript(T, "n1", { ...c, containerId: "a".repeat(120) }, "create"),
      /comment "h\.[0-9a-f]{64}\//,
    );
  });

  it("removal of many containers is one add-then-delete batch, deduplicated", () => {
    const s = removeContainersScript(T, "a1b2c3d4", [
      { ips: ["10.88.0.5", "fd00:88::5"] },
      { ips: ["10.88.0.6"] },
      { containerId: "again", ips: ["10.88.0.5"] },
    ]);
    assert.deepEqual(lines(s), [
      "add element inet quantum n_a1b2c3d4_a4 { 10.88.0.5, 10.88.0.6 }",
      "add element inet quantum n_a1b2c3d4_a6 { fd00:88::5 }",
      "delete element inet quantum n_a1b2c3d4_a4 { 10.88.0.5, 10.88.0.6 }",
      "delete element inet quantum n_a1b2c3d4_a6 { fd00:88::5 }",
    ]);
  });
});

describe("ruleset: removal", () => {
  it("removeNetworkScript deletes map elements, then chains, then the sets their rules use", () => {
    const ls = lines(removeNetworkScript(T, "a1b2c3d4", "qbr0"));
    const idx = (p: string) => ls.findIndex((l) => l.startsWith(p));
    assert.ok(idx("delete element inet quantum fwd_from") < idx("delete chain"));
    assert.ok(idx("flush chain") < idx("delete chain"));
    assert.ok(idx("delete chain") < idx("delete set"));
    assert.equal(ls.filter((l) => l.startsWith("delete chain")).length, 4);
    assert.equal(ls.filter((l) => l.startsWith("delete set")).length, 2);
  });

  it("removeTableScript adds then deletes the table, so a missing table is not an error", () => {
    assert.equal(removeTableScript("qt"), "add table inet qt\ndelete table inet qt\n");
  });
});

const isRoot = process.getuid?.() === 0;
const skip = !isRoot || !nftAvailable() ? "needs root and nft (apt-get install -y nftables)" : false;

describe("ruleset: the kernel accepts every generated script (throwaway netns)", { skip }, () => {
  const ns = `qfw-r${randomBytes(4).toString("hex")}`;
  const netnsPath = `/var/run/netns/${ns}`;
  const apply = (script: string, check = false) => nftApply(script, { netnsPath, check });
  before(() => execFileSync("ip", ["netns", "add", ns]));
  after(() => execFileSync("ip", ["netns", "del", ns]));

  for (const isolation of ["none", "internal", "strict"] as const) {
    for (const subnets of [["10.88.0.0/16"], ["fd00:88::/64"], ["10.88.0.0/16", "fd00:88::/64"]]) {
      for (const ipMasq of [true, false]) {
        it(`nft -c accepts ${isolation} ${subnets.join("+")} ipMasq=${ipMasq}`, () => {
          apply(ensureNetworkScript(T, net({ isolation, subnets, ipMasq })).script, true);
        });
      }
    }
  }

  it("applies twice without duplicating, then element, removal and table scripts pass", () => {
    const { script } = ensureNetworkScript(T, net());
    apply(script);
    apply(script);
    const listed = execFileSync("ip", ["netns", "exec", ns, "nft", "list", "chain", "inet", T, "n_a1b2c3d4_from"], {
      encoding: "utf8",
    });
    assert.equal(listed.split("\n").filter((l) => l.includes("accept")).length, 2, listed);
    const c = { containerId: "c0ffee", ifname: "eth0", ips: ["10.88.0.5", "fd00:88::5"] };
    apply(addContainerScript(T, base.id, c, "create"));
    assert.throws(() => apply(addContainerScript(T, base.id, c, "create")), /File exists/);
    apply(addContainerScript(T, base.id, c, "replace"));
    apply(removeContainersScript(T, base.id, [c]));
    apply(removeContainersScript(T, base.id, [c]));
    apply(removeNetworkScript(T, base.id, base.bridge));
    apply(removeTableScript(T));
    apply(removeTableScript(T));
  });
});
