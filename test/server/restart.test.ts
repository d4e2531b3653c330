// Crashes and repairs. The daemon is SIGKILLed in the middle of churn: every shim still gets an
// answer (the shim falls back to direct mode once the daemon is gone), and after a restart,
// reconcile plus the runtime's GC and DELs leave no address, link, nft element or pending deletion behind.
// Reconcile is also checked against each kind of disagreement, planted by hand.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { networkId } from "../../src/network/index.js";
import { SqliteStore } from "../../src/store/index.js";
import { Lab, resultIp } from "../dataplane/fixture.js";
import type { PluginRun } from "../helpers/cni-runner.js";
import { ipIn, nsExec, type TestNetns } from "../helpers/netns.js";
import { TestDaemon } from "./daemon.js";

describe("daemon SIGKILLed mid-churn", { timeout: 600_000 }, () => {
  let lab: Lab;
  let daemon: TestDaemon;
  before(async () => {
    lab = new Lab();
    daemon = new TestDaemon(lab.host.name, { dataDirs: [lab.dataDir], graceMs: 300 });
    await daemon.start();
  });
  after(async () => {
    await daemon?.cleanup();
    lab?.cleanup();
  });

  it("the shim falls back; after restart, reconcile + DELs leave nothing behind", async () => {
    const conf = lab.config({ subnet: "10.92.0.0/24", gateway: "10.92.0.1" });
    const run = (command: "ADD" | "DEL", cid: string, ns: TestNetns): Promise<PluginRun> =>
      lab.run({ command, containerId: cid, netns: ns.path, config: conf, extraEnv: daemon.env });
    const cs = Array.from({ length: 40 }, (_, i) => ({ cid: `churn-${i}`, ns: lab.container() }));
    // Churn: each container ADD, DEL, ADD; the daemon dies while this runs.
    const churn = Promise.all(
      cs.map(async (c) => {
        const out: PluginRun[] = [];
        for (const cmd of ["ADD", "DEL", "ADD"] as const) out.push(await run(cmd, c.cid, c.ns));
        return out;
      }),
    );
    await daemon.waitLog(/"command":"DEL"/, 60_000);
    await daemon.kill();
    const runs = await churn;
    // Every call got a CNI answer; nothing hung or printed garbage.
    for (const r of runs.flat()) {
      assert.ok(r.json !== undefined || (r.code === 0 && r.stdout === ""), `a CNI answer: ${r.stdout} ${r.stderr}`);
    }
    const failed = runs.flat().filter((r) => r.code !== 0);
    console.log(
      `# churn: ${runs.flat().length} calls, ${failed.length} failed (${failed.map((r) => r.stdout.trim()).join(" | ")})`,
    );

    // With the daemon gone (a stale socket file: ECONNREFUSED), the shim answers in direct mode.
    const extra = lab.container();
    const fallback = await run("ADD", "churn-after-kill", extra);
    assert.equal(fallback.code, 0, fallback.stdout + fallback.stderr);
    assert.deepEqual(lab.addrs(extra), [resultIp(fallback.json!)]);

    await daemon.start();
    // The runtime: DEL what failed, keep half of the rest, lose the other half's netns without a DEL.
    const kept: { cid: string; ns: TestNetns }[] = [{ cid: "churn-after-kill", ns: extra }];
    for (const [i, c] of cs.entries()) {
      const last = runs[i]!.at(-1)!;
      if (last.code !== 0) {
        const del = await run("DEL", c.cid, c.ns);
        assert.equal(del.code, 0, del.stdout);
      } else if (i % 2 === 0) {
        kept.push(c);
      } else {
        lab.removeContainerNetns(c.ns);
      }
    }
    const rec = await daemon.http("POST", "/v1/reconcile");
    assert.equal(rec.status, 200);
    console.log(`# reconcile after restart: ${rec.body.trim()}`);
    // Every kept container still works and is intact.
    for (const c of kept) {
      const addrs = lab.addrs(c.ns);
      assert.equal(addrs.length, 1, `${c.cid} keeps its address`);
    }
    // Reconcile keeps the attachments whose netns was lost (a reboot looks the same): the runtime's
    // GC with its valid list decides (issue 10).
    const lost = cs.filter((_c, i) => runs[i]!.at(-1)!.code === 0 && i % 2 === 1).length;
    assert.equal(lab.storeState().attachments.length, kept.length + lost, "reconcile released nothing");
    const gc = await lab.run({
      command: "GC",
      config: {
        ...conf,
        cniVersion: "1.1.0",
        "cni.dev/valid-attachments": kept.map((c) => ({ containerID: c.cid, ifname: "eth0" })),
      },
      extraEnv: daemon.env,
    });
    assert.equal(gc.code, 0, gc.stdout);
    assert.equal(lab.storeState().attachments.length, kept.length, "only the live containers stay attached");
    for (const c of kept) {
      const del = await run("DEL", c.cid, c.ns);
      assert.equal(del.code, 0, del.stdout);
    }
    await daemon.idle();
    lab.assertNothingLeft("10.92.0.", "after restart, reconcile and DELs");
  });
});

describe("reconcile repairs each kind of disagreement", { timeout: 300_000 }, () => {
  let lab: Lab;
  let daemon: TestDaemon;
  before(async () => {
    lab = new Lab();
    daemon = new TestDaemon(lab.host.name, {
      dataDirs: [lab.dataDir],
      graceMs: 200,
      // This test is about repairs: a vanished netns is released at once, not after days.
      extraArgs: ["--stale-attachment-grace-ms", "0"],
    });
    await daemon.start();
  });
  after(async () => {
    await daemon?.cleanup();
    lab?.cleanup();
  });

  it("orphan reservation, orphan nft element, orphan bridge port, pending deletion, dead netns", async () => {
    const conf = lab.config({ subnet: "10.93.0.0/24", gateway: "10.93.0.1" });
    const bridge = String(conf["bridge"]);
    const live = lab.container();
    const add = await lab.run({
      command: "ADD",
      containerId: "live",
      netns: live.path,
      config: conf,
      extraEnv: daemon.env,
    });
    assert.equal(add.code, 0, add.stdout);
    const dead = lab.container();
    const addDead = await lab.run({
      command: "ADD",
      containerId: "dead",
      netns: dead.path,
      config: conf,
      extraEnv: daemon.env,
    });
    assert.equal(addDead.code, 0, addDead.stdout);
    lab.removeContainerNetns(dead);

    // Plant what a crashed ADD or DEL leaves.
    const store = SqliteStore.open(lab.dataDir);
    const pendingNs = lab.container();
    try {
      store.reserve({ network: "dp-net", rangeId: "0", ip: "10.93.0.200", containerId: "half", ifname: "eth0" });
      ipIn(pendingNs.name, ["link", "add", "eth0", "type", "veth", "peer", "name", "eth1"]);
      store.addPendingLinkDeletion({ netns: pendingNs.path, ifname: "eth0", network: "dp-net", containerId: "gone" });
    } finally {
      store.close();
    }
    const set = `n_${networkId("dp-net")}_a4`;
    nsExec(lab.host.name, "nft", ["add", "element", "inet", "quantum", set, "{ 10.93.0.201 }"]);
    ipIn(lab.host.name, ["link", "add", "vethdeadbeef", "type", "veth", "peer", "name", "vethpeer0"]);
    ipIn(lab.host.name, ["link", "set", "vethdeadbeef", "master", bridge]);

    const rec = await daemon.http("POST", "/v1/reconcile");
    assert.equal(rec.status, 200);
    const [report] = (JSON.parse(rec.body) as { reports: Record<string, unknown>[] }).reports.filter(
      (r) => r["dataDir"] === lab.dataDir,
    );
    assert.ok(report, rec.body);
    assert.deepEqual(report["errors"], []);
    assert.equal(report["pendingDeletions"], 1);
    assert.equal(report["staleAttachments"], 1);
    assert.equal(report["orphanReservations"], 1);
    assert.equal(report["orphanLinks"], 1);
    assert.ok((report["orphanElements"] as number) >= 1, rec.body);

    assert.deepEqual(lab.storeState(), {
      reservations: [`live/eth0=${resultIp(add.json!)}`],
      attachments: ["live/eth0"],
    });
    assert.equal(lab.pendingDeletions(), 0);
    const nft = lab.nftElements();
    assert.ok(!nft.includes("10.93.0.200") && !nft.includes("10.93.0.201"), nft);
    assert.ok(!nft.includes(resultIp(addDead.json!)), "the dead container's element is gone");
    assert.ok(nft.includes(resultIp(add.json!)), "the live container's element stays");
    const links = lab.hostLinks().map((l) => l.ifname);
    assert.ok(!links.includes("vethdeadbeef"), links.join(","));
    assert.deepEqual(
      lab.hostLinks().filter((l) => l.ifname.startsWith("veth") && l.master === bridge).length,
      1,
      "only the live container's port stays",
    );
    assert.deepEqual(
      (JSON.parse(ipIn(pendingNs.name, ["-j", "link", "show"])) as { ifname: string }[]).map((l) => l.ifname),
      ["lo"],
      "the pending deletion was finished",
    );
    // The live container is untouched and CHECK still passes.
    const check = await lab.run({
      command: "CHECK",
      containerId: "live",
      netns: live.path,
      config: { ...conf, prevResult: add.json },
      extraEnv: daemon.env,
    });
    assert.equal(check.code, 0, check.stdout);
  });
});
