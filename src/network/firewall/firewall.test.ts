import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NftError, type NftOptions } from "../../kernel/nftables.js";
import { Firewall, type NftRunner } from "./firewall.js";
import type { FirewallNetwork } from "./types.js";

const net: FirewallNetwork = { id: "n1", bridge: "qbr1", subnets: ["10.1.0.0/24"], isolation: "none", ipMasq: true };
const notFound = (args: string[]) => new NftError("nft failed", args, "Error: No such file or directory", 1, undefined);

/** Records every call; list answers come from `lists`, apply failures from `failApply`. */
class FakeNft implements NftRunner {
  applied: string[] = [];
  listed: string[][] = [];
  lists = new Map<string, unknown>();
  failApply: ((script: string) => Error | undefined) | undefined;
  seenOptions: NftOptions[] = [];

  apply(script: string, o: NftOptions): void {
    this.seenOptions.push(o);
    const err = this.failApply?.(script);
    if (err !== undefined) throw err;
    this.applied.push(script);
  }

  listJson(args: string[], o: NftOptions): unknown {
    this.seenOptions.push(o);
    this.listed.push(args);
    const v = this.lists.get(args.join(" "));
    if (v === undefined) throw notFound(args);
    return v;
  }
}

const fwdFrom = (entries: [string, string][]) => ({
  nftables: [
    { map: { name: "fwd_from", elem: entries.map(([br, id]) => [br, { jump: { target: `n_${id}_from` } }]) } },
  ],
});

describe("Firewall (fake nft)", () => {
  it("ensureNetwork() applies once, then trusts its cache without asking the kernel", () => {
    const nft = new FakeNft();
    const fw = new Firewall({ nft, table: "qt", netnsPath: "/var/run/netns/x" });
    assert.equal(fw.ensureNetwork(net), true);
    assert.equal(nft.applied.length, 1);
    assert.equal(nft.listed.length, 1, "one kernel check before the first apply");
    assert.equal(fw.ensureNetwork(net), false);
    assert.equal(nft.applied.length, 1);
    assert.equal(nft.listed.length, 1);
    assert.ok(nft.seenOptions.every((o) => o.netnsPath === "/var/run/netns/x"));
    assert.equal(fw.ensureNetwork({ ...net, isolation: "strict" }), true, "a changed network is re-applied");
  });

  it("ensureNetwork() skips the transaction when the kernel already has this ruleset (another process made it)", () => {
    const nft = new FakeNft();
    const first = new Firewall({ nft });
    first.ensureNetwork(net);
    const marker = /comment "(quantum-net [0-9a-f]+)"/.exec(nft.applied[0] ?? "")?.[1];
    nft.lists.set("chain inet quantum n_n1_from", { nftables: [{ rule: { chain: "n_n1_from", comment: marker } }] });
    const second = new Firewall({ nft });
    assert.equal(second.ensureNetwork(net), false);
    assert.equal(nft.applied.length, 1);
  });

  it("addContainer() uses one create transaction, and takes over an existing element on File exists", () => {
    const nft = new FakeNft();
    const fw = new Firewall({ nft });
    fw.addContainer("n1", { containerId: "c1", ifname: "eth0", ips: ["10.1.0.2"] });
    assert.equal(nft.applied.length, 1);
    assert.match(nft.applied[0] ?? "", /^create element/);
    nft.failApply = (s) =>
      s.startsWith("create") ? new NftError("x", [], "Error: Could not process rule: File exists", 1) : undefined;
    fw.addContainer("n1", { containerId: "c2", ifname: "eth0", ips: ["10.1.0.2"] });
    assert.equal(nft.applied.length, 2);
    assert.match(nft.applied[1] ?? "", /^add element .*\ndelete element .*\nadd element .* comment "c2\/eth0"/);
  });

  it("addContainer() to a network that is not there fails naming the container and network, and drops the cache", () => {
    const nft = new FakeNft();
    const fw = new Firewall({ nft });
    fw.ensureNetwork(net);
    nft.failApply = (s) => (s.startsWith("create") ? notFound([]) : undefined);
    assert.throws(
      () => fw.addContainer("n1", { containerId: "c1", ifname: "eth0", ips: ["10.1.0.2"] }),
      (e: unknown) => e instanceof NftError && /add container c1 \(eth0\) to network n1/.test(e.message),
    );
    nft.failApply = undefined;
    assert.equal(fw.ensureNetwork(net), true, "re-ensured after the kernel lost it");
  });

  it("removeContainers() is one transaction for any number of containers", () => {
    const nft = new FakeNft();
    const fw = new Firewall({ nft });
    const items = Array.from({ length: 50 }, (_, i) => ({ containerId: `c${i}`, ips: [`10.1.0.${i + 2}`] }));
    fw.removeContainers("n1", items);
    assert.equal(nft.applied.length, 1);
    fw.removeContainers("n1", []);
    assert.equal(nft.applied.length, 1, "nothing to remove, no transaction");
  });

  it("removeContainers() on a network already removed succeeds; other failures are reported", () => {
    const nft = new FakeNft();
    const fw = new Firewall({ nft });
    nft.failApply = () => notFound([]);
    fw.removeContainers("n1", [{ ips: ["10.1.0.2"] }]);
    nft.lists.set("map inet quantum fwd_from", fwdFrom([["qbr1", "n1"]]));
    assert.throws(() => fw.removeContainers("n1", [{ ips: ["10.1.0.2"] }]), /remove 1 container from network n1/);
  });

  it("hasContainer() and listContainerElements() read both address sets", () => {
    const nft = new FakeNft();
    const fw = new Firewall({ nft });
    nft.lists.set("set inet quantum n_n1_a4", {
      nftables: [{ set: { name: "n_n1_a4", elem: [{ elem: { val: "10.1.0.2", comment: "c1/eth0" } }] } }],
    });
    nft.lists.set("set inet quantum n_n1_a6", { nftables: [{ set: { name: "n_n1_a6", elem: ["fd00::2"] } }] });
    assert.deepEqual(fw.listContainerElements("n1"), [
      { ip: "10.1.0.2", family: 4, containerId: "c1", ifname: "eth0" },
      { ip: "fd00::2", family: 6 },
    ]);
    assert.deepEqual(fw.listContainerElements("gone"), []);
  });

  it("hasContainer() looks up just the addresses, one `get element` per family; absent is false", () => {
    const nft = new FakeNft();
    const fw = new Firewall({ nft });
    assert.equal(fw.hasContainer("n1", ["10.1.0.2", "fd00:0::2", "10.1.0.4"]), true);
    assert.deepEqual(nft.applied, [
      "get element inet quantum n_n1_a4 { 10.1.0.2, 10.1.0.4 }\n",
      "get element inet quantum n_n1_a6 { fd00::2 }\n",
    ]);
    nft.failApply = () => notFound([]);
    assert.equal(fw.hasContainer("n1", ["10.1.0.3"]), false);
    assert.equal(fw.hasContainer("n1", []), true, "nothing to look up");
  });

  it("removeNetwork() looks the bridge up, removes in one transaction, and is false when absent", () => {
    const nft = new FakeNft();
    const fw = new Firewall({ nft });
    assert.equal(fw.removeNetwork("n1"), false);
    nft.lists.set("map inet quantum fwd_from", fwdFrom([["qbr1", "n1"]]));
    assert.deepEqual(fw.listNetworks(), [{ id: "n1", bridge: "qbr1" }]);
    assert.equal(fw.removeNetwork("n1"), true);
    assert.equal(nft.applied.length, 1);
    assert.match(nft.applied[0] ?? "", /delete element inet quantum fwd_from \{ "qbr1" \}/);
  });

  it("a failed apply says what failed on which network, with nft's stderr kept", () => {
    const nft = new FakeNft();
    nft.failApply = () => new NftError("nft -f failed: boom", ["-f", "-"], "boom", 1);
    const fw = new Firewall({ nft });
    assert.throws(
      () => fw.ensureNetwork(net),
      (e: unknown) =>
        e instanceof NftError &&
        e.stderr === "boom" &&
        /^ensure network n1 \(bridge "qbr1"\): nft -f failed/.test(e.message),
    );
  });
});
