/**
 * Issue 10, finding 7: after a reboot (every container netns gone, no DEL), quantumd's start-up
 * reconcile must not release attachments before the runtime's GC says which are valid. Ten
 * containers are added through the daemon, the daemon is stopped, every netns and the bridge are
 * removed (what a reboot leaves), a new daemon starts and reconciles: all ten attachments are kept;
 * the runtime's GC with its valid list then releases exactly the ones not listed.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Lab } from "../dataplane/fixture.js";
import { deleteTestNetns, nsExec } from "../helpers/netns.js";
import { TestDaemon } from "../server/daemon.js";

const isRoot = process.getuid?.() === 0;

describe("reconcile after a reboot respects the runtime's valid list", {
  skip: isRoot ? false : "needs root",
  timeout: 120_000,
}, () => {
  let lab: Lab;
  let daemon: TestDaemon | undefined;
  const conf = () =>
    lab.config({ name: "boot-net", subnet: "10.89.0.0/24", gateway: "10.89.0.1", cniVersion: "1.1.0" });
  const ids = Array.from({ length: 10 }, (_, i) => `boot-${i}`);
  before(async () => {
    lab = new Lab();
    daemon = new TestDaemon(lab.host.name, { dataDirs: [lab.dataDir] });
    await daemon.start();
    for (const id of ids) {
      const ns = lab.container();
      const r = await lab.run({
        command: "ADD",
        containerId: id,
        netns: ns.path,
        config: conf(),
        extraEnv: daemon.env,
      });
      assert.equal(r.code, 0, r.stdout);
    }
    await daemon.stop();
    await daemon.cleanup();
  });
  after(async () => {
    await daemon?.cleanup();
    lab?.cleanup();
  });

  it("a restarted daemon keeps 10 of 10; GC with 6 valid releases the other 4", async () => {
    for (const ns of lab.containers) deleteTestNetns(ns);
    lab.containers.length = 0;
    nsExec(lab.host.name, "ip", ["link", "delete", String(conf()["bridge"])]);
    daemon = new TestDaemon(lab.host.name, { dataDirs: [lab.dataDir] });
    await daemon.start();
    const rec = JSON.parse((await daemon.http("POST", "/v1/reconcile")).body) as {
      reports: { dataDir: string; staleAttachments: number }[];
    };
    assert.equal(rec.reports.find((r) => r.dataDir === lab.dataDir)?.staleAttachments, 0);
    assert.equal(lab.storeState("boot-net").attachments.length, 10, "10 of 10 kept");
    const valid = ids.slice(0, 6).map((containerID) => ({ containerID, ifname: "eth0" }));
    const gc = await lab.run({
      command: "GC",
      config: { ...conf(), "cni.dev/valid-attachments": valid },
      extraEnv: daemon.env,
    });
    assert.equal(gc.code, 0, gc.stdout);
    assert.deepEqual(
      lab.storeState("boot-net").attachments.sort(),
      ids.slice(0, 6).map((id) => `${id}/eth0`),
    );
    assert.equal(lab.storeState("boot-net").reservations.length, 6);
  });
});
