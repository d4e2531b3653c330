// The DEL fast path. Default (the order): when DEL answers, the address and the firewall
// elements are already released and only the link deletion may still be running. --defer-release:
// DEL answers first and releases everything right after. Either way nothing is left once idle.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SqliteStore } from "../../src/store/index.js";
import { Lab, resultIp } from "../dataplane/fixture.js";
import { ipIn, nsExec } from "../helpers/netns.js";
import { TestDaemon } from "./daemon.js";

/** Inside the lab's private host netns, so any free port will do. */
const METRICS_PORT = 9464;

function pending(lab: Lab): number {
  const s = SqliteStore.open(lab.dataDir);
  try {
    return s.listPendingLinkDeletions().length;
  } finally {
    s.close();
  }
}

for (const deferRelease of [false, true]) {
  describe(`DEL fast path${deferRelease ? " with --defer-release" : ""}`, { timeout: 300_000 }, () => {
    let lab: Lab;
    let daemon: TestDaemon;
    before(async () => {
      lab = new Lab();
      daemon = new TestDaemon(lab.host.name, {
        dataDirs: [lab.dataDir],
        extraArgs: deferRelease ? ["--defer-release"] : ["--metrics-addr", `127.0.0.1:${METRICS_PORT}`],
      });
      await daemon.start();
    });
    after(async () => {
      await daemon?.cleanup();
      lab?.cleanup();
    });

    it("answers DEL, finishes the work right after, leaves nothing", async () => {
      const conf = lab.config({ subnet: "10.94.0.0/24", gateway: "10.94.0.1" });
      const cs = Array.from({ length: 10 }, (_, i) => ({ cid: `fd-${i}`, ns: lab.container() }));
      const ips: string[] = [];
      for (const c of cs) {
        const r = await lab.run({
          command: "ADD",
          containerId: c.cid,
          netns: c.ns.path,
          config: conf,
          extraEnv: daemon.env,
        });
        assert.equal(r.code, 0, r.stdout);
        ips.push(resultIp(r.json!));
      }
      const one = cs[0]!;
      const del = await lab.run({
        command: "DEL",
        containerId: one.cid,
        netns: one.ns.path,
        config: conf,
        extraEnv: daemon.env,
      });
      assert.equal(del.code, 0, del.stdout);
      assert.equal(del.stdout, "");
      if (!deferRelease) {
        // The guarantee at answer time: reservation and firewall element released.
        assert.ok(!lab.storeState().reservations.some((r) => r.startsWith(`${one.cid}/`)), "reservation released");
        assert.ok(!lab.nftElements().includes(`"${ips[0]}"`), "firewall element released");
      }
      const dels = await Promise.all(
        cs
          .slice(1)
          .map((c) =>
            lab.run({ command: "DEL", containerId: c.cid, netns: c.ns.path, config: conf, extraEnv: daemon.env }),
          ),
      );
      assert.deepEqual(
        dels.filter((r) => r.code !== 0).map((r) => r.stdout),
        [],
      );
      await daemon.idle();
      assert.deepEqual(lab.storeState(), { reservations: [], attachments: [] });
      assert.equal(pending(lab), 0);
      for (const c of cs) {
        const links = JSON.parse(ipIn(c.ns.name, ["-j", "link", "show"])) as { ifname: string }[];
        assert.deepEqual(
          links.map((l) => l.ifname),
          ["lo"],
          `${c.cid}: eth0 gone`,
        );
      }
      assert.equal(lab.hostLinks().filter((l) => l.ifname.startsWith("veth")).length, 0);
      assert.equal(lab.nftElements().includes("10.94.0."), false);
      // DEL again: idempotent.
      const again = await lab.run({
        command: "DEL",
        containerId: one.cid,
        netns: one.ns.path,
        config: conf,
        extraEnv: daemon.env,
      });
      assert.equal(again.code, 0, again.stdout);
    });

    if (!deferRelease) {
      it("serves Prometheus metrics on --metrics-addr (inside the lab's netns)", () => {
        const text = nsExec(lab.host.name, "curl", ["-sf", `http://127.0.0.1:${METRICS_PORT}/metrics`]);
        assert.match(text, /quantum_cni_requests_total\{command="ADD",code="0"\} 10/);
        assert.match(text, /quantum_cni_request_duration_seconds_bucket\{le="0\.1",command="DEL",code="0"\}/);
        assert.match(text, /quantum_attachments\{network="dp-net"\} 0/);
        assert.match(text, /quantum_ip_pool_used\{network="dp-net"\} 0/);
        assert.match(text, /quantum_event_loop_delay_p99_seconds /);
        assert.match(text, /quantum_reconcile_repairs_total/);
      });
    }
  });
}
