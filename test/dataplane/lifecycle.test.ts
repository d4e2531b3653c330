import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ipIn, ipJson } from "../helpers/netns.js";
import { Lab, resultIp } from "./fixture.js";

describe("DEL is idempotent and releases everything", () => {
  let lab: Lab;
  before(() => {
    lab = new Lab();
  });
  after(() => lab.cleanup());

  /** The attachment is gone from every place it lived: store, host links, nft elements. */
  function assertReleased(cid: string, ip: string, hostVeth: string) {
    const state = lab.storeState();
    assert.ok(!state.reservations.some((r) => r.startsWith(`${cid}/`)), `reservation of ${cid} released`);
    assert.ok(!state.attachments.includes(`${cid}/eth0`), `attachment of ${cid} removed`);
    assert.ok(!lab.hostLinks().some((l) => l.ifname === hostVeth), `host veth ${hostVeth} removed`);
    assert.ok(!lab.nftElements().includes(`"${ip}"`), `nft element ${ip} removed`);
  }

  async function attach(cid: string) {
    const ns = lab.container();
    const conf = lab.config();
    const result = await lab.add(cid, ns, conf);
    const hostVeth = (result["interfaces"] as { name: string }[])[1]!.name;
    const ip = resultIp(result);
    assert.ok(lab.nftElements().includes(`"${ip}"`), "the firewall holds the container's address after ADD");
    return { ns, conf, result, hostVeth, ip };
  }

  it("with prevResult, then repeated", async () => {
    const a = await attach("del-repeat");
    const conf = { ...a.conf, prevResult: a.result };
    const first = await lab.del("del-repeat", a.ns.path, conf);
    assert.equal(first.code, 0, first.stdout);
    assert.equal(first.stdout, "");
    assertReleased("del-repeat", a.ip, a.hostVeth);
    const left = ipJson<{ ifname: string }[]>(a.ns.name, ["link", "show"]).map((l) => l.ifname);
    assert.deepEqual(left, ["lo"], "eth0 gone from the container");
    const again = await lab.del("del-repeat", a.ns.path, conf);
    assert.equal(again.code, 0, again.stdout);
  });

  it("when the netns is gone", async () => {
    const a = await attach("del-gone");
    lab.removeContainerNetns(a.ns);
    const run = await lab.del("del-gone", a.ns.path, a.conf);
    assert.equal(run.code, 0, run.stdout);
    assertReleased("del-gone", a.ip, a.hostVeth);
  });

  it("with an empty CNI_NETNS (containerd) and without prevResult", async () => {
    const a = await attach("del-empty");
    const run = await lab.del("del-empty", "", a.conf);
    assert.equal(run.code, 0, run.stdout);
    assertReleased("del-empty", a.ip, a.hostVeth);
  });

  it("when the links are already gone", async () => {
    const a = await attach("del-nolink");
    ipIn(lab.host.name, ["link", "del", a.hostVeth]);
    const run = await lab.del("del-nolink", a.ns.path, a.conf);
    assert.equal(run.code, 0, run.stdout);
    assertReleased("del-nolink", a.ip, a.hostVeth);
  });

  it("for a container that was never added", async () => {
    const run = await lab.del("never-added", "", lab.config());
    assert.equal(run.code, 0, run.stdout);
  });
});

describe("CHECK compares the kernel, the store and the firewall with prevResult", () => {
  let lab: Lab;
  before(() => {
    lab = new Lab();
  });
  after(() => lab.cleanup());

  async function attach(cid: string) {
    const ns = lab.container();
    const result = await lab.add(cid, ns, lab.config());
    const conf = { ...lab.config(), prevResult: result };
    const check = () => lab.run({ command: "CHECK", containerId: cid, netns: ns.path, config: conf });
    return { ns, result, check };
  }

  it("passes on a healthy attachment, with no output", async () => {
    const a = await attach("chk-ok");
    const run = await a.check();
    assert.equal(run.code, 0, run.stdout);
    assert.equal(run.stdout, "");
  });

  it("detects a removed address", async () => {
    const a = await attach("chk-addr");
    ipIn(a.ns.name, ["addr", "flush", "dev", "eth0"]);
    const run = await a.check();
    assert.notEqual(run.code, 0);
    assert.match(String(run.json?.["msg"]), /address 10\.77\.0\.\d+\/24 is missing/);
  });

  it("detects a link down", async () => {
    const a = await attach("chk-down");
    ipIn(a.ns.name, ["link", "set", "eth0", "down"]);
    const run = await a.check();
    assert.notEqual(run.code, 0);
    assert.match(String(run.json?.["msg"]), /"eth0" is down/);
  });

  it("detects a missing reservation", async () => {
    const a = await attach("chk-resv");
    const { SqliteStore } = await import("../../src/store/index.js");
    const store = SqliteStore.open(lab.dataDir);
    store.releaseById("dp-net", "chk-resv", "eth0");
    store.close();
    const run = await a.check();
    assert.notEqual(run.code, 0);
    assert.match(String(run.json?.["msg"]), /has no reservation/);
  });

  it("needs a prevResult, and refuses config versions below 0.4.0 with code 1", async () => {
    const a = await attach("chk-args");
    const noPrev = await lab.run({ command: "CHECK", containerId: "chk-args", netns: a.ns.path, config: lab.config() });
    assert.notEqual(noPrev.code, 0);
    assert.match(String(noPrev.json?.["msg"]), /prevResult/);
    const old = await lab.run({
      command: "CHECK",
      containerId: "chk-args",
      netns: a.ns.path,
      config: lab.config({ cniVersion: "0.3.1" }),
    });
    assert.equal(old.json?.["code"], 1);
  });
});

describe("GC and STATUS (1.1.0)", () => {
  let lab: Lab;
  before(() => {
    lab = new Lab();
  });
  after(() => lab.cleanup());

  it("GC frees exactly the attachments not listed", async () => {
    const conf = lab.config({ cniVersion: "1.1.0" });
    const added: Record<string, { ip: string; hostVeth: string }> = {};
    for (const cid of ["gc-keep-1", "gc-keep-2", "gc-drop-1", "gc-drop-2"]) {
      const r = await lab.add(cid, lab.container(), conf);
      added[cid] = { ip: resultIp(r), hostVeth: (r["interfaces"] as { name: string }[])[1]!.name };
    }
    const run = await lab.run({
      command: "GC",
      config: {
        ...conf,
        "cni.dev/valid-attachments": [
          { containerID: "gc-keep-1", ifname: "eth0" },
          { containerID: "gc-keep-2", ifname: "eth0" },
        ],
      },
    });
    assert.equal(run.code, 0, run.stdout);
    assert.equal(run.stdout, "");
    const state = lab.storeState();
    assert.deepEqual(state.attachments.sort(), ["gc-keep-1/eth0", "gc-keep-2/eth0"]);
    assert.deepEqual(state.reservations.map((r) => r.split("/")[0]).sort(), ["gc-keep-1", "gc-keep-2"]);
    const links = lab.hostLinks().map((l) => l.ifname);
    const nft = lab.nftElements();
    for (const [cid, a] of Object.entries(added)) {
      const kept = cid.startsWith("gc-keep");
      assert.equal(links.includes(a.hostVeth), kept, `host veth of ${cid}`);
      assert.equal(nft.includes(`"${a.ip}"`), kept, `nft element of ${cid}`);
    }
  });

  it("GC reads the misnamed cni.dev/attachments too, and is refused below 1.1.0", async () => {
    const conf = lab.config({
      cniVersion: "1.1.0",
      name: "gc-old",
      bridge: `qg${lab.host.name.slice(-8)}`,
      subnet: "10.79.0.0/24",
      gateway: "10.79.0.1",
    });
    await lab.add("gc-old-1", lab.container(), conf);
    const run = await lab.run({ command: "GC", config: { ...conf, "cni.dev/attachments": [] } });
    assert.equal(run.code, 0, run.stdout);
    assert.deepEqual(lab.storeState("gc-old").attachments, []);
    const old = await lab.run({ command: "GC", config: { ...conf, cniVersion: "1.0.0" } });
    assert.equal(old.json?.["code"], 1);
  });

  it("STATUS is ready, and answers 50 once the pool is exhausted", async () => {
    const conf = lab.config({
      cniVersion: "1.1.0",
      name: "st-net",
      bridge: `qs${lab.host.name.slice(-8)}`,
      subnet: "10.80.0.0/30",
      gateway: "10.80.0.1",
    });
    const ready = await lab.run({ command: "STATUS", config: conf });
    assert.equal(ready.code, 0, ready.stdout);
    assert.equal(ready.stdout, "");
    await lab.add("st-1", lab.container(), conf);
    const full = await lab.run({ command: "STATUS", config: conf });
    assert.notEqual(full.code, 0);
    assert.equal(full.json?.["code"], 50);
    assert.match(String(full.json?.["msg"]), /exhausted/);
  });
});
