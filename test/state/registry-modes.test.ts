/**
 * Issue 10, finding 1 across modes: the daemon's workers and a direct-mode plugin use the same
 * host-wide registry. A network first ADDed through quantumd blocks a conflicting network ADDed in
 * direct mode, and the other way round, with code 103 naming the first network.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Lab } from "../dataplane/fixture.js";
import { uniqueName } from "../helpers/netns.js";
import { TestDaemon } from "../server/daemon.js";

const isRoot = process.getuid?.() === 0;

describe("one registry for quantumd and direct mode", { skip: isRoot ? false : "needs root", timeout: 120_000 }, () => {
  let lab: Lab;
  let daemon: TestDaemon;
  const direct = () => ({ QUANTUM_SOCKET: `${daemon.dir}/none.sock` });
  before(async () => {
    lab = new Lab();
    daemon = new TestDaemon(lab.host.name, { dataDirs: [lab.dataDir] });
    await daemon.start();
  });
  after(async () => {
    await daemon?.cleanup();
    lab?.cleanup();
  });

  const cases = [
    { first: "daemon", second: "direct", octet: 90 },
    { first: "direct", second: "daemon", octet: 91 },
  ] as const;
  for (const c of cases) {
    it(`a network ADDed via ${c.first} blocks an overlapping one via ${c.second}`, async () => {
      const env = (m: "daemon" | "direct") => (m === "daemon" ? daemon.env : direct());
      const a = lab.config({
        name: `m-${c.first}`,
        subnet: `10.${c.octet}.0.0/24`,
        gateway: `10.${c.octet}.0.1`,
        bridge: uniqueName("qb"),
      });
      const b = lab.config({
        name: `m-${c.second}-2`,
        subnet: `10.${c.octet}.0.0/23`,
        gateway: `10.${c.octet}.0.1`,
        bridge: uniqueName("qb"),
      });
      const ns1 = lab.container();
      const r1 = await lab.run({
        command: "ADD",
        containerId: "m1",
        netns: ns1.path,
        config: a,
        extraEnv: env(c.first),
      });
      assert.equal(r1.code, 0, r1.stdout);
      const ns2 = lab.container();
      const r2 = await lab.run({
        command: "ADD",
        containerId: "m2",
        netns: ns2.path,
        config: b,
        extraEnv: env(c.second),
      });
      assert.equal(r2.code, 1, r2.stdout);
      const err = JSON.parse(r2.stdout) as { code: number; msg: string };
      assert.equal(err.code, 103, err.msg);
      assert.match(err.msg, new RegExp(`conflicts with network "m-${c.first}"`));
      assert.equal(
        (await lab.run({ command: "DEL", containerId: "m1", netns: ns1.path, config: a, extraEnv: env(c.first) })).code,
        0,
      );
    });
  }

  it("racing first ADDs of two conflicting networks: exactly one network wins", async () => {
    const nets = ["race-x", "race-y"].map((name) =>
      lab.config({ name, subnet: "10.92.0.0/24", gateway: "10.92.0.1", bridge: uniqueName("qb") }),
    );
    const calls = Array.from({ length: 8 }, (_, i) => ({ id: `race-${i}`, net: nets[i % 2]!, ns: lab.container() }));
    const runs = await Promise.all(
      calls.map((c, i) =>
        lab.run({
          command: "ADD",
          containerId: c.id,
          netns: c.ns.path,
          config: c.net,
          extraEnv: i % 4 < 2 ? daemon.env : direct(),
        }),
      ),
    );
    const won = new Set(calls.filter((_, i) => runs[i]!.code === 0).map((c) => c.net["name"]));
    assert.equal(won.size, 1, `one network wins: ${runs.map((r) => r.stdout.slice(0, 120)).join(" | ")}`);
    for (const [i, c] of calls.entries()) {
      if (won.has(c.net["name"])) assert.equal(runs[i]!.code, 0, runs[i]!.stdout);
      else assert.equal((JSON.parse(runs[i]!.stdout) as { code: number }).code, 103, runs[i]!.stdout);
    }
    for (const [i, c] of calls.entries()) {
      const env = i % 4 < 2 ? daemon.env : direct();
      assert.equal(
        (await lab.run({ command: "DEL", containerId: c.id, netns: c.ns.path, config: c.net, extraEnv: env })).code,
        0,
      );
    }
  });
});
