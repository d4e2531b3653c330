// Issue 12, items 2 and 3: claim races never give one subnet twice; a daemon restart keeps the
// subnet and peers see no change; a dead node's routes drop on its peers about a TTL after it died,
// and its subnet goes to a waiting node only after the quarantine. Pool: exactly 3 subnets, 4 nodes.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ipJson } from "../helpers/netns.js";
import { runProcess } from "../helpers/process.js";
import { fabricSkip } from "./etcd.js";
import { FabricLab } from "./fabric-lab.js";

const TTL = 4;
const QUARANTINE = 4;
const raceScript = fileURLToPath(new URL("./fixtures/claim-race.js", import.meta.url));

describe("fabric: claims, restart, dead node, reuse", { skip: fabricSkip }, () => {
  let lab: FabricLab;
  before(async () => {
    // 10.254.0.0/22 in /24s: subnets 1, 2 and 3 (index 0 is never handed out).
    lab = new FabricLab({ nodes: 4, network: "10.254.0.0/22", ttl: TTL, quarantine: QUARANTINE });
    await lab.startEtcd();
    await lab.init();
  });
  after(async () => {
    await lab?.cleanup();
  });

  it("40 claim races through two different members: exactly one winner each, the loser learns the owner", async () => {
    const env: Record<string, string | undefined> = { ...process.env };
    delete env["NODE_EXTRA_CA_CERTS"];
    const r = await runProcess(
      "nsenter",
      [
        `--net=${lab.ul.node(1).path}`,
        process.execPath,
        raceScript,
        `${lab.prefix}race/`,
        lab.etcd.endpoint(1),
        lab.etcd.endpoint(2),
        "40",
      ],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    const rounds = JSON.parse(r.stdout) as { winners: string[]; loserSaw: (string | null)[]; stored: string | null }[];
    assert.equal(rounds.length, 40);
    for (const [k, round] of rounds.entries()) {
      assert.equal(round.winners.length, 1, `round ${k + 1}: winners ${round.winners.join(",")}`);
      assert.equal(round.stored, round.winners[0]);
      assert.deepEqual(round.loserSaw, [round.winners[0]]);
    }
  });

  it("three nodes starting at once get three distinct subnets; a fourth waits: pool exhausted, STATUS not ready", async () => {
    await Promise.all([1, 2, 3].map((i) => lab.startDaemon(i)));
    const s = await Promise.all(
      [1, 2, 3].map((i) =>
        lab.waitFabric(i, (f) => f.phase === "claimed" && f.peers.length === 2, "claimed + 2 peers"),
      ),
    );
    assert.deepEqual(s.map((x) => x.subnet).sort(), ["10.254.1.0/24", "10.254.2.0/24", "10.254.3.0/24"]);
    await lab.startDaemon(4);
    const f4 = await lab.waitFabric(4, (f) => f.phase === "pool-exhausted", "pool-exhausted");
    assert.equal(f4.subnet, undefined);
    const st = await lab.cni("STATUS", 4);
    assert.notEqual(st.code, 0);
    assert.match(st.stdout, /no fabric subnet yet/);
    const add = await lab.cni("STATUS", 1);
    assert.equal(add.code, 0, add.stdout);
  });

  it("a daemon restart (SIGKILL + start, data dir kept) keeps its subnet; the peers' routes never change", async () => {
    const before2 = await lab.fabric(2);
    const before1 = await lab.fabric(1);
    const routesBefore = lab.overlayRoutes(1);
    let watching = true;
    const seen: string[] = [];
    const watcher = (async () => {
      while (watching) {
        const r = lab.overlayRoutes(1);
        if (r.get(before2.subnet ?? "") === undefined) seen.push(`route to ${before2.subnet} missing at ${Date.now()}`);
        await new Promise((res) => setTimeout(res, 50));
      }
    })();
    await lab.killDaemon(2);
    await lab.startDaemon(2);
    const after2 = await lab.waitFabric(2, (f) => f.phase === "claimed" && f.peers.length === 2, "re-claimed");
    watching = false;
    await watcher;
    assert.equal(after2.subnet, before2.subnet);
    assert.deepEqual(seen, []);
    assert.deepEqual(lab.overlayRoutes(1), routesBefore);
    const after1 = await lab.fabric(1);
    assert.equal(after1.peerCounters.removed, before1.peerCounters.removed, "node 1 removed no peer");
    assert.equal(after1.peerCounters.programmed, before1.peerCounters.programmed, "node 1 re-programmed nothing");
  });

  it("a dead node's routes drop on its peers ≈ TTL after it died; its subnet is reused only after the quarantine", async (t) => {
    const dead = await lab.fabric(3);
    const subnet = dead.subnet ?? "";
    const t0 = Date.now();
    await lab.killDaemon(3);
    assert.ok(lab.overlayRoutes(1).has(subnet), "no route is flushed the moment a peer stops renewing");
    let dropped = 0;
    while (Date.now() - t0 < 30_000) {
      if (!lab.overlayRoutes(1).has(subnet)) {
        dropped = Date.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(dropped > 0, `node 1 still routes ${subnet} 30 s after node 3 died`);
    t.diagnostic(
      `route to the dead node's subnet dropped ${dropped - t0} ms after SIGKILL (TTL ${TTL} s + delete grace ${TTL / 2} s)`,
    );
    // The quarantine holds the subnet: the released mark exists and the waiting node has not got it yet.
    const released = lab.etcd.ctl(["get", `${lab.prefix}released/${subnet.replace("/", "-")}`, "--print-value-only"]);
    assert.match(released, /"node":"node3"/);
    const f4wait = await lab.fabric(4);
    assert.equal(f4wait.phase, "pool-exhausted");
    const f4 = await lab.waitFabric(4, (f) => f.phase === "claimed", "claimed the freed subnet", 30_000);
    const reused = Date.now();
    assert.equal(f4.subnet, subnet);
    t.diagnostic(`node 4 claimed ${subnet} ${reused - t0} ms after node 3 died (quarantine ${QUARANTINE} s)`);
    // Node 1 now sends that subnet to node 4's VTEP.
    const n1 = await lab.waitFabric(
      1,
      (f) => f.peers.some((p) => p.subnet === subnet && p.node === "node4"),
      "node 4 as peer",
    );
    assert.ok(n1);
    const neigh = ipJson<{ dst: string; lladdr: string }[]>(lab.ul.node(1).name, ["neigh", "show", "dev", "qvx1"]);
    assert.equal(neigh.find((n) => n.dst === subnet.split("/")[0])?.lladdr, "0e:51:0a:fd:00:04");
  });
});
