/**
 * The firewall against a real kernel, in a private netns, with `nft -j list table` as the oracle:
 * idempotent (and concurrent) ensure, element bookkeeping, one-transaction batched removal, full
 * removal, and the per-container costs (reported as test diagnostics).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { type NftOptions, nftApply, nftAvailable, nftListJson } from "../../src/kernel/nftables.js";
import { Firewall, type NftRunner } from "../../src/network/firewall/index.js";
import type { FirewallNetwork } from "../../src/network/firewall/types.js";
import { sh } from "./lab.js";

const isRoot = process.getuid?.() === 0;
const skip = !isRoot || !nftAvailable() ? "needs root and nft (apt-get install -y nftables)" : false;

type Json = Record<string, Record<string, unknown>>;

describe("firewall state in the kernel (private netns)", { skip, concurrency: false }, () => {
  const ns = `qfw${randomBytes(3).toString("hex")}-s`;
  const netnsPath = `/var/run/netns/${ns}`;
  const table = `qfwt_${randomBytes(3).toString("hex")}`;
  /** Counts transactions (one `nft -f` = one atomic batch). */
  const counting = { applies: 0 };
  const runner: NftRunner = {
    apply: (script: string, o: NftOptions) => {
      counting.applies++;
      nftApply(script, o);
    },
    listJson: nftListJson,
  };
  const fw = () => new Firewall({ table, netnsPath, nft: runner });
  const net = (id: string, bridge: string, o: Partial<FirewallNetwork> = {}): FirewallNetwork => ({
    id,
    bridge,
    subnets: ["10.77.0.0/16", "fd00:77::/64"],
    isolation: "none",
    ipMasq: true,
    ...o,
  });
  const objects = (): Json[] => {
    const json = nftListJson(["table", "inet", table], { netnsPath }) as { nftables: Json[] };
    return json.nftables;
  };
  const rulesIn = (chain: string) => objects().filter((o) => o.rule?.chain === chain).length;
  const names = (kind: string) => objects().flatMap((o) => (o[kind] ? [String(o[kind].name)] : []));

  before(() => sh("ip", ["netns", "add", ns]));
  after(() => {
    sh("ip", ["netns", "del", ns]);
    assert.ok(!sh("ip", ["netns", "list"]).includes(ns));
  });

  it("ensureNetwork() is idempotent: a second process-like instance finds the ruleset and applies nothing", () => {
    const n = net("n1", "qbr1");
    assert.equal(fw().ensureNetwork(n), true);
    const rules = rulesIn("n_n1_from");
    const forward = rulesIn("forward");
    const applies = counting.applies;
    assert.equal(fw().ensureNetwork(n), false);
    assert.equal(counting.applies, applies);
    assert.equal(rulesIn("n_n1_from"), rules);
    assert.equal(rulesIn("forward"), forward);
    assert.deepEqual(
      names("chain").sort(),
      [
        "forward",
        "hostport_out",
        "hostport_pre",
        "hostports",
        "input",
        "n_n1_from",
        "n_n1_in",
        "n_n1_nat",
        "n_n1_to",
        "postrouting",
      ].sort(),
    );
  });

  it("a changed network is refilled in place, keeping its containers and not duplicating rules", () => {
    const f = fw();
    f.addContainer("n1", { containerId: "keep", ifname: "eth0", ips: ["10.77.0.2", "fd00:77::2"] });
    assert.equal(f.ensureNetwork(net("n1", "qbr1", { isolation: "internal" })), true);
    assert.equal(rulesIn("n_n1_from"), 3);
    assert.equal(f.hasContainer("n1", ["10.77.0.2", "fd00:77::2"]), true);
    assert.equal(f.ensureNetwork(net("n1", "qbr1")), true);
    assert.equal(rulesIn("n_n1_from"), 5);
    assert.equal(rulesIn("forward"), 3);
  });

  it("concurrent ensureNetwork() from 4 processes yields one copy of every rule", async () => {
    const mod = new URL("../../src/network/firewall/index.js", import.meta.url).href;
    const code = `import { Firewall } from ${JSON.stringify(mod)};
      new Firewall({ table: process.argv[1], netnsPath: process.argv[2] }).ensureNetwork(JSON.parse(process.argv[3]));`;
    const n = net("n2", "qbr2", { isolation: "strict", subnets: ["10.78.0.0/16"] });
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    const codes = await Promise.all(
      Array.from(
        { length: 4 },
        () =>
          new Promise<string>((resolve) => {
            const p = spawn(
              process.execPath,
              ["--input-type=module", "-e", code, table, netnsPath, JSON.stringify(n)],
              { env, stdio: ["ignore", "ignore", "pipe"] },
            );
            let err = "";
            p.stderr.on("data", (d) => {
              err += String(d);
            });
            p.on("close", (c) => resolve(c === 0 ? "ok" : `exit ${c}: ${err}`));
          }),
      ),
    );
    assert.deepEqual(codes, ["ok", "ok", "ok", "ok"]);
    assert.equal(rulesIn("n_n2_from"), 3);
    assert.equal(rulesIn("n_n2_in"), 2);
    assert.equal(rulesIn("forward"), 3);
    assert.equal(rulesIn("n_n1_from"), 5, "the other network is untouched");
    assert.deepEqual(
      fw()
        .listNetworks()
        .sort((a, b) => a.id.localeCompare(b.id)),
      [
        { id: "n1", bridge: "qbr1" },
        { id: "n2", bridge: "qbr2" },
      ],
    );
  });

  it("addContainer() records the owner; a reused address is taken over by its new owner", () => {
    const f = fw();
    f.addContainer("n1", { containerId: "old", ifname: "eth0", ips: ["10.77.0.9"], hostIfname: "veth0ld" });
    f.addContainer("n1", { containerId: "new", ifname: "net1", ips: ["10.77.0.9"], hostIfname: "veth9" });
    const e = f.listContainerElements("n1").find((x) => x.ip === "10.77.0.9");
    assert.deepEqual(e, { ip: "10.77.0.9", family: 4, containerId: "new", ifname: "net1", hostIfname: "veth9" });
    assert.equal(f.hasContainer("n1", ["10.77.0.9"]), true);
    assert.equal(f.hasContainer("n1", ["10.77.0.10"]), false);
    assert.equal(f.hasContainer("n2", ["10.77.0.9"]), false);
  });

  it("50 containers: per-container ADD cost, then ONE transaction removes them all, twice without error", (t) => {
    const f = fw();
    const items = Array.from({ length: 50 }, (_, i) => ({
      containerId: `ctr${i}`,
      ifname: "eth0",
      ips: [`10.77.1.${i + 1}`, `fd00:77::1:${i + 1}`],
    }));
    const times: number[] = [];
    for (const c of items) {
      const t0 = process.hrtime.bigint();
      f.addContainer("n1", c);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const sorted = [...times].sort((a, b) => a - b);
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    const elementsOf = () => f.listContainerElements("n1").filter((e) => e.containerId?.startsWith("ctr"));
    assert.equal(elementsOf().length, 100);

    const before = counting.applies;
    const t0 = process.hrtime.bigint();
    f.removeContainers("n1", items);
    const batchMs = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.equal(counting.applies - before, 1, "one transaction for 50 containers");
    assert.deepEqual(elementsOf(), []);

    const t1 = process.hrtime.bigint();
    f.removeContainers("n1", items);
    const againMs = Number(process.hrtime.bigint() - t1) / 1e6;
    assert.equal(counting.applies - before, 2);
    // (after counting: hasContainer's `get element` goes through the runner too, as a lookup)
    assert.equal(f.hasContainer("n1", ["10.77.0.2"]), true, "other containers untouched");

    // For comparison: the same deletions one transaction per container (what batching avoids).
    for (const c of items.slice(0, 10)) f.addContainer("n1", c);
    const t2 = process.hrtime.bigint();
    for (const c of items.slice(0, 10)) f.removeContainers("n1", [c]);
    const singleMs = Number(process.hrtime.bigint() - t2) / 1e6 / 10;

    const report =
      `addContainer (2 addresses, own nft process): min ${sorted[0]?.toFixed(1)} ms, mean ${mean.toFixed(1)} ms, median ` +
      `${sorted[25]?.toFixed(1)} ms, p95 ${sorted[47]?.toFixed(1)} ms; removeContainers(50) in one ` +
      `transaction: ${batchMs.toFixed(1)} ms (again, all already gone: ${againMs.toFixed(1)} ms); ` +
      `one transaction per container: ${singleMs.toFixed(1)} ms each`;
    t.diagnostic(report);
    console.log(`# firewall timing: ${report}`);
  });

  it("removeContainers() on a network that is gone succeeds", () => {
    fw().removeContainers("nope", [{ ips: ["10.77.0.2"] }]);
  });

  it("removeNetwork() removes every object of that network and nothing else; removeAll() the table", () => {
    const f = fw();
    assert.equal(f.removeNetwork("n1"), true);
    assert.equal(f.removeNetwork("n1"), false);
    assert.ok(!names("chain").some((c) => c.startsWith("n_n1_")));
    assert.ok(!names("set").some((s) => s.startsWith("n_n1_")));
    assert.ok(!JSON.stringify(objects()).includes("qbr1"));
    assert.deepEqual(f.listNetworks(), [{ id: "n2", bridge: "qbr2" }]);
    assert.deepEqual(f.listContainerElements("n1"), []);
    assert.equal(rulesIn("n_n2_from"), 3);
    f.removeAll();
    assert.throws(() => objects(), /No such file or directory/);
    assert.deepEqual(f.listNetworks(), []);
    f.removeAll();
  });
});
