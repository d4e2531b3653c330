/**
 * Issue 10, finding 5: a container id of 255 bytes (the CNI maximum we accept) works end to end:
 * ADD (its firewall element comment carries the id hashed, within nftables' 128-byte limit), CHECK,
 * connectivity, DEL with nothing left. 256 bytes is refused with 4 before any work.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Lab, resultIp } from "../dataplane/fixture.js";
import { ipJson } from "../helpers/netns.js";
import { reaches } from "./reach.js";

const isRoot = process.getuid?.() === 0;

describe("container ids up to 255 bytes", { skip: isRoot ? false : "needs root", timeout: 60_000 }, () => {
  let lab: Lab;
  before(() => {
    lab = new Lab();
  });
  after(() => lab?.cleanup());
  const conf = () => lab.config({ subnet: "10.88.0.0/24", gateway: "10.88.0.1" });

  it("255 bytes: ADD, CHECK, ping, DEL, nothing left", async () => {
    const id = `c${"0123456789abcdef".repeat(16)}`.slice(0, 255);
    const ns = lab.container();
    const result = await lab.add(id, ns, conf());
    assert.ok(reaches(lab, ns, "10.88.0.1"));
    const check = await lab.run({
      command: "CHECK",
      containerId: id,
      netns: ns.path,
      config: { ...conf(), prevResult: result },
    });
    assert.equal(check.code, 0, check.stdout);
    assert.ok(lab.nftElements().includes(resultIp(result)));
    assert.equal((await lab.del(id, ns.path, conf())).code, 0);
    lab.assertNothingLeft("10.88.0.", "after DEL");
  });

  it("255 bytes survive a lost store: adopted (hashed in the link alias), then DEL leaves nothing", async () => {
    const id = `d${"fedcba9876543210".repeat(16)}`.slice(0, 255);
    const ns = lab.container();
    const first = await lab.add(id, ns, conf());
    for (const suffix of ["", "-wal", "-shm"]) rmSync(join(lab.dataDir, `quantum.db${suffix}`), { force: true });
    const other = lab.container();
    const second = await lab.add("short-id", other, conf());
    assert.notEqual(resultIp(second), resultIp(first), "the adopted address is not handed out again");
    assert.equal((await lab.del(id, ns.path, conf())).code, 0);
    assert.equal((await lab.del("short-id", other.path, conf())).code, 0);
    lab.assertNothingLeft("10.88.0.", "after DEL of both");
  });

  it("256 bytes: refused with 4, nothing done", async () => {
    const ns = lab.container();
    const r = await lab.run({ command: "ADD", containerId: "c".repeat(256), netns: ns.path, config: conf() });
    assert.equal(r.code, 1);
    const err = JSON.parse(r.stdout) as { code: number; msg: string };
    assert.equal(err.code, 4, err.msg);
    assert.match(err.msg, /at most 255 bytes/);
    assert.ok(err.msg.length < 400);
    assert.equal(ipJson<unknown[]>(ns.name, ["link", "show"]).length, 1);
  });
});
