// Concurrent DELs share link deletions: an answered fast DEL's link is held back in its worker and
// deleted together with others' in one link-group request. Checked against the kernel (ip -j in
// every netns) and the store file: the answer comes first, the pending deletion is durable, the
// next ADD of the same container waits for it, SIGTERM finishes what is held, nothing is left.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Lab, resultIp } from "../dataplane/fixture.js";
import { ipJson, type TestNetns } from "../helpers/netns.js";
import { TestDaemon } from "./daemon.js";

/**
 * One worker (no other free worker to trigger an immediate deletion) and an idle trigger long
 * enough that a held-back deletion is still held when the test looks.
 */
const REAP_IDLE_MS = "1500";

function links(ns: TestNetns): string[] {
  return ipJson<{ ifname: string }[]>(ns.name, ["link", "show"])
    .map((l) => l.ifname)
    .sort();
}

describe("batched link deletions of concurrent DELs", { timeout: 300_000 }, () => {
  let lab: Lab;
  let daemon: TestDaemon;
  let conf: Record<string, unknown>;
  before(async () => {
    lab = new Lab();
    daemon = new TestDaemon(lab.host.name, {
      dataDirs: [lab.dataDir],
      workers: 1,
      env: { QUANTUMD_REAP_IDLE_MS: REAP_IDLE_MS },
    });
    await daemon.start();
    conf = lab.config({ subnet: "10.93.0.0/24", gateway: "10.93.0.1" });
  });
  after(async () => {
    await daemon?.cleanup();
    lab?.cleanup();
  });

  const run = (command: "ADD" | "DEL", cid: string, ns: TestNetns) =>
    lab.run({ command, containerId: cid, netns: ns.path, config: conf, extraEnv: daemon.env });

  it("30 concurrent DELs: all answered, their links deleted in fewer requests than links, nothing left", async () => {
    const cs = Array.from({ length: 30 }, (_, i) => ({ cid: `bd-${i}`, ns: lab.container() }));
    for (const c of cs) assert.equal((await run("ADD", c.cid, c.ns)).code, 0);
    const before = (await daemon.status())["linkDeletionBatches"] as { batches: number; links: number };
    const dels = await Promise.all(cs.map((c) => run("DEL", c.cid, c.ns)));
    assert.deepEqual(
      dels.filter((r) => r.code !== 0).map((r) => r.stdout),
      [],
      "every DEL answered 0",
    );
    // At answer time the addresses are free (the issue's order), whatever the links' state.
    assert.deepEqual(lab.storeState(), { reservations: [], attachments: [] });
    await daemon.idle();
    const afterAll = (await daemon.status())["linkDeletionBatches"] as { batches: number; links: number };
    const links30 = afterAll.links - before.links;
    const batches = afterAll.batches - before.batches;
    console.log(`# 30 concurrent DELs: ${links30} link deletions in ${batches} batches`);
    assert.equal(links30, 30, "every DEL's link went through a batch");
    assert.ok(batches < links30, `links shared requests (${batches} batches for ${links30} links)`);
    for (const c of cs) assert.deepEqual(links(c.ns), ["lo"], `${c.cid}: eth0 gone`);
    lab.assertNothingLeft("10.93.", "after 30 DELs");
  });

  it("an answered DEL's link is held back durably; the same container's next ADD waits for it", async () => {
    const ns = lab.container();
    const first = await run("ADD", "bd-again", ns);
    assert.equal(first.code, 0, first.stdout);
    const oldHost = lab.hostLinks().filter((l) => l.ifname.startsWith("veth"));
    assert.equal(oldHost.length, 1);
    assert.equal((await run("DEL", "bd-again", ns)).code, 0);
    // Answered, link not deleted yet: the deletion is recorded in the store.
    assert.deepEqual(links(ns), ["eth0", "lo"], "the link waits for its batch");
    assert.equal(lab.pendingDeletions(), 1, "the pending deletion is durable");
    assert.equal((await daemon.status())["pendingLinkDeletions"], 1);
    const again = await run("ADD", "bd-again", ns);
    assert.equal(again.code, 0, `the next ADD is not disturbed by the old link: ${again.stdout}`);
    assert.deepEqual(lab.addrs(ns), [resultIp(again.json!)]);
    const host = lab.hostLinks().filter((l) => l.ifname.startsWith("veth"));
    assert.equal(host.length, 1, "one host end: the new one");
    assert.notEqual(host[0]?.ifname, oldHost[0]?.ifname);
    assert.equal(lab.pendingDeletions(), 0);
    assert.equal((await run("DEL", "bd-again", ns)).code, 0);
    await daemon.idle();
    lab.assertNothingLeft("10.93.", "after the second DEL");
  });

  it("SIGTERM deletes the links it still holds before exiting", async () => {
    const cs = Array.from({ length: 3 }, (_, i) => ({ cid: `bd-term-${i}`, ns: lab.container() }));
    for (const c of cs) assert.equal((await run("ADD", c.cid, c.ns)).code, 0);
    for (const c of cs) assert.equal((await run("DEL", c.cid, c.ns)).code, 0);
    assert.equal(lab.pendingDeletions(), 3, "held back, recorded");
    assert.equal(await daemon.stop(), 0);
    for (const c of cs) assert.deepEqual(links(c.ns), ["lo"], `${c.cid}: eth0 gone`);
    lab.assertNothingLeft("10.93.", "after SIGTERM");
  });
});

describe("batched link deletions with the default two workers", { timeout: 300_000 }, () => {
  let lab: Lab;
  let daemon: TestDaemon;
  before(async () => {
    lab = new Lab();
    daemon = new TestDaemon(lab.host.name, { dataDirs: [lab.dataDir] });
    await daemon.start();
  });
  after(async () => {
    await daemon?.cleanup();
    lab?.cleanup();
  });

  it("a single DEL's link goes at once (the other worker is free); a burst's links share requests", async () => {
    const conf = lab.config({ subnet: "10.93.1.0/24", gateway: "10.93.1.1" });
    const run = (command: "ADD" | "DEL", cid: string, ns: TestNetns) =>
      lab.run({ command, containerId: cid, netns: ns.path, config: conf, extraEnv: daemon.env });
    const one = lab.container();
    assert.equal((await run("ADD", "bd2-one", one)).code, 0);
    assert.equal((await run("DEL", "bd2-one", one)).code, 0);
    await daemon.idle();
    assert.deepEqual(links(one), ["lo"]);
    const cs = Array.from({ length: 30 }, (_, i) => ({ cid: `bd2-${i}`, ns: lab.container() }));
    for (const c of cs) assert.equal((await run("ADD", c.cid, c.ns)).code, 0);
    const before = (await daemon.status())["linkDeletionBatches"] as { batches: number; links: number };
    const dels = await Promise.all(cs.map((c) => run("DEL", c.cid, c.ns)));
    assert.deepEqual(
      dels.filter((r) => r.code !== 0).map((r) => r.stdout),
      [],
    );
    await daemon.idle();
    const afterAll = (await daemon.status())["linkDeletionBatches"] as { batches: number; links: number };
    console.log(
      `# 2 workers, 30 concurrent DELs: ${afterAll.links - before.links} links in ${afterAll.batches - before.batches} batches`,
    );
    assert.equal(afterAll.links - before.links, 30);
    for (const c of cs) assert.deepEqual(links(c.ns), ["lo"], `${c.cid}: eth0 gone`);
    lab.assertNothingLeft("10.93.1.", "after 30 DELs");
  });
});
