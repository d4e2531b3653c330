/**
 * Issue 10, finding 1: the host-wide network registry on the CNI path (bin/quantum in a private
 * host netns, real bridges and veths). A second network that shares the first one's bridge, overlaps
 * its address space, or reuses its name with another data dir is refused with code 103 naming the
 * first network, and the first network's container still reaches its gateway afterwards (also after
 * the refused network's DEL); the host's routes are unchanged. The same conflist again is the same
 * network; once the first network is dead (no attachments, no bridge) its subnet can be reused.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { Lab } from "../dataplane/fixture.js";
import { ipJson, nsExec, uniqueName } from "../helpers/netns.js";
import { testRegistryDir } from "../helpers/registry.js";
import { reaches } from "./reach.js";

const isRoot = process.getuid?.() === 0;

describe("host-wide network registry (CNI path)", { skip: isRoot ? false : "needs root", timeout: 120_000 }, () => {
  let lab: Lab;
  let otherDir: string;
  const first = () => lab.config({ name: "reg-a", subnet: "10.81.0.0/24", gateway: "10.81.0.1" });
  before(async () => {
    lab = new Lab();
    otherDir = mkdtempSync(join(tmpdir(), "qreg-other-"));
    const ns = lab.container();
    await lab.add("ctr-a", ns, first());
    assert.ok(reaches(lab, ns, "10.81.0.1"), "the first container reaches its gateway");
  });
  after(() => {
    lab?.cleanup();
    if (otherDir) rmSync(otherDir, { recursive: true, force: true });
  });

  const routes = () => JSON.stringify(ipJson(lab.host.name, ["route", "show"]));
  const conflicts: [string, () => Record<string, unknown>, RegExp][] = [
    [
      "the same bridge",
      () => lab.config({ name: "reg-b", subnet: "10.82.0.0/24", gateway: "10.82.0.1" }),
      /both use bridge/,
    ],
    [
      "a /25 inside the /24, on another bridge",
      () => lab.config({ name: "reg-c", subnet: "10.81.0.0/25", gateway: "10.81.0.1", bridge: uniqueName("qb") }),
      /subnet 10\.81\.0\.0\/25 overlaps 10\.81\.0\.0\/24/,
    ],
    [
      "the identical subnet on another bridge",
      () => lab.config({ name: "reg-d", subnet: "10.81.0.0/24", gateway: "10.81.0.1", bridge: uniqueName("qb") }),
      /overlaps/,
    ],
    ["the same network with another dataDir", () => ({ ...first(), dataDir: otherDir }), /the same name with data dir/],
    [
      "the same name with another subnet",
      () => ({ ...first(), subnet: "10.83.0.0/24", gateway: "10.83.0.1" }),
      /the same name with subnets/,
    ],
  ];
  for (const [what, config, reason] of conflicts) {
    it(`refuses ${what} with code 103 naming the first network; the first keeps its gateway`, async () => {
      const before = routes();
      const ns = lab.container();
      const run = await lab.run({ command: "ADD", containerId: "ctr-x", netns: ns.path, config: config() });
      assert.equal(run.code, 1, run.stdout);
      const err = JSON.parse(run.stdout) as { code: number; msg: string };
      assert.equal(err.code, 103, err.msg);
      assert.match(err.msg, /conflicts with network "reg-a"/);
      assert.match(err.msg, reason);
      assert.ok(err.msg.length < 1000, `a short message, got ${err.msg.length} characters`);
      assert.deepEqual(
        ipJson<unknown[]>(ns.name, ["link", "show"]).length,
        1,
        "nothing was added to the refused container (lo only)",
      );
      const del = await lab.del("ctr-x", ns.path, config());
      assert.equal(del.code, 0, del.stdout);
      assert.equal(routes(), before, "host routes unchanged");
      assert.ok(reaches(lab, lab.containers[0]!, "10.81.0.1"), "the first container still reaches its gateway");
    });
  }

  it("the same conflist again is the same network", async () => {
    const ns = lab.container();
    await lab.add("ctr-a2", ns, first());
    assert.ok(reaches(lab, ns, "10.81.0.1"));
    assert.equal((await lab.del("ctr-a2", ns.path, first())).code, 0);
  });

  it("a dead network (no attachments, bridge gone) does not block its subnet", async () => {
    assert.equal((await lab.del("ctr-a", lab.containers[0]!.path, first())).code, 0);
    nsExec(lab.host.name, "ip", ["link", "delete", String(first()["bridge"])]);
    // The user edits the conflist later than the registration's fresh window (10 s).
    const registry = new Database(join(testRegistryDir(), "registry.db"));
    registry.prepare("UPDATE networks SET updated_at = ? WHERE name = 'reg-a'").run("2020-01-01T00:00:00.000Z");
    registry.close();
    const ns = lab.container();
    const replacement = lab.config({ name: "reg-e", subnet: "10.81.0.0/24", gateway: "10.81.0.1" });
    await lab.add("ctr-e", ns, replacement);
    assert.ok(reaches(lab, ns, "10.81.0.1"));
    assert.equal((await lab.del("ctr-e", ns.path, replacement)).code, 0);
  });
});
