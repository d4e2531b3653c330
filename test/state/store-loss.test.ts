/**
 * Issue 10, finding 2: losing the store must not break running containers. Three containers run;
 * their store is deleted (the "obvious fix" for a damaged one). The kernel vouches for them (host
 * veth alias + firewall elements): `quantumctl doctor` + `gc` never delete their links, the next
 * ADD does not reuse their addresses (it adopts them first), `quantumctl store recover` rebuilds
 * the records, and every container still reaches its gateway. Oracles: ip -j, ping, the store file.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { networkId } from "../../src/network/index.js";
import { SqliteStore } from "../../src/store/index.js";
import { CtlLab, ok } from "../cli/ctl.js";
import { resultIp } from "../dataplane/fixture.js";
import type { TestNetns } from "../helpers/netns.js";
import { reaches } from "./reach.js";

const isRoot = process.getuid?.() === 0;

function deleteStore(dataDir: string): void {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(join(dataDir, `quantum.db${suffix}`), { force: true });
}

describe("a lost store is rebuilt from the kernel", { skip: isRoot ? false : "needs root", timeout: 120_000 }, () => {
  let lab: CtlLab;
  const conf = () => lab.config({ name: "loss-net", subnet: "10.84.0.0/24", gateway: "10.84.0.1" });
  const running: { id: string; ns: TestNetns; ip: string }[] = [];
  const veths = () =>
    lab
      .hostLinks()
      .filter((l) => l.ifname.startsWith("veth"))
      .map((l) => l.ifname)
      .sort();
  before(async () => {
    lab = new CtlLab();
    for (const id of ["run-1", "run-2", "run-3"]) {
      const ns = lab.container();
      running.push({ id, ns, ip: resultIp(await lab.add(id, ns, conf())) });
    }
  });
  after(() => lab?.cleanup());

  it("doctor + gc on a deleted store keep every running container's link", async () => {
    const before = veths();
    assert.equal(before.length, 3);
    deleteStore(lab.dataDir);
    // A fresh store that knows the network (as quantumd's note or quantumctl's record would make):
    // the old audit then called every running container's veth an orphan and gc deleted it.
    const store = SqliteStore.open(lab.dataDir);
    const bridge = String(conf()["bridge"]);
    store.putNetwork({
      name: "loss-net",
      spec: { source: "quantumd", id: networkId("loss-net"), driver: "bridge", bridge },
    });
    store.close();
    const doctor = await lab.ctl(["doctor", "--json"]);
    const kinds = (doctor.json as { findings: { kind: string }[] }).findings.map((f) => f.kind);
    assert.deepEqual(kinds, ["unrecorded-container", "unrecorded-container", "unrecorded-container"], doctor.stdout);
    const gc = ok(await lab.ctl(["gc", "--local", "--grace-ms", "0", "--json"]), "gc");
    const repaired = (gc.json as { repaired: { kind: string }[] }).repaired.map((f) => f.kind);
    assert.deepEqual(repaired, ["unrecorded-container", "unrecorded-container", "unrecorded-container"], gc.stdout);
    assert.deepEqual(veths(), before, "no host veth deleted");
    assert.deepEqual(
      lab.storeState("loss-net").attachments.sort(),
      ["run-1/eth0", "run-2/eth0", "run-3/eth0"],
      "gc adopted them",
    );
    for (const r of running) assert.ok(reaches(lab, r.ns, "10.84.0.1"), `${r.id} reaches its gateway`);
  });

  it("the next ADD adopts the running containers first: no address handed out twice", async () => {
    // Lost again, and this time no gc: the ADD itself must adopt before it allocates.
    deleteStore(lab.dataDir);
    const ns = lab.container();
    const ip = resultIp(await lab.add("new-1", ns, conf()));
    assert.ok(!running.some((r) => r.ip === ip), `new address ${ip} differs from ${running.map((r) => r.ip)}`);
    const recorded = lab.storeState("loss-net").attachments.sort();
    assert.deepEqual(recorded, ["new-1/eth0", "run-1/eth0", "run-2/eth0", "run-3/eth0"]);
    for (const r of running) assert.ok(reaches(lab, r.ns, "10.84.0.1"), `${r.id} still reaches its gateway`);
    assert.ok(reaches(lab, ns, running[0]!.ip), "the new container reaches a running one");
  });

  it("quantumctl store recover --fresh rebuilds every attachment from the kernel", async () => {
    const run = ok(await lab.ctl(["store", "recover", "--fresh", "--json"]), "store recover");
    const report = run.json as { adopted: string[]; movedTo: string };
    assert.equal(report.adopted.length, 4, run.stdout);
    assert.match(report.movedTo, /quantum\.db\.damaged-/);
    const state = lab.storeState("loss-net");
    assert.deepEqual(state.attachments.sort(), ["new-1/eth0", "run-1/eth0", "run-2/eth0", "run-3/eth0"]);
    for (const r of running) assert.ok(state.reservations.includes(`${r.id}/eth0=${r.ip}`), JSON.stringify(state));
    const doctor = await lab.ctl(["doctor", "--json"]);
    assert.equal((doctor.json as { ok: boolean }).ok, true, doctor.stdout);
  });

  it("DEL of every container leaves nothing behind", async () => {
    for (const r of running) assert.equal((await lab.del(r.id, r.ns.path, conf())).code, 0);
    assert.equal((await lab.del("new-1", lab.containers[3]!.path, conf())).code, 0);
    assert.deepEqual(lab.storeState("loss-net"), { reservations: [], attachments: [] });
    assert.deepEqual(veths(), []);
  });
});
