// npm run bench (fabric part) or `node bench/fabric.mjs`: the multi-host fabric's costs, measured on
// real kernel objects and a real 3-member etcd, all inside private netns (test/fabric's lab):
//   1. per-peer programming cost: neighbour + FDB + onlink route on a vxlan, in-process (kernel/),
//      for 200 peers, and their removal;
//   2. convergence at 3 nodes: daemons started together → every node has every peer; a 4th node
//      joins → the 3 others have it;
//   3. convergence at 50 simulated peers (etcd records without real nodes): written at once →
//      every node has all of them programmed.
// Prints a table and saves JSON under bench/results/. Needs root and scripts/install-etcd.sh.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

const root = new URL("..", import.meta.url).pathname;
const dist = (p) => join(root, "dist", p);
const { Rtnl } = await import(dist("src/kernel/index.js"));
const { OverlayDevice, vtepMac } = await import(dist("src/fabric/index.js"));
const { Underlay } = await import(dist("test/fabric/underlay.js"));
const { FabricLab } = await import(dist("test/fabric/fabric-lab.js"));
const { fabricSkip } = await import(dist("test/fabric/etcd.js"));

if (fabricSkip) {
  console.error(`bench/fabric: skipped: ${fabricSkip}`);
  process.exit(0);
}

const runs = Number(process.env.BENCH_FABRIC_RUNS ?? 3);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function programCost(peers) {
  const ul = Underlay.create(1);
  const rtnl = Rtnl.open(ul.node(1).path);
  try {
    const dev = new OverlayDevice(rtnl, {
      name: "qvxb",
      vni: 1,
      port: 4789,
      publicIP: ul.ip(1),
      vtepMac: vtepMac(ul.ip(1)),
    });
    dev.ensure();
    const list = Array.from({ length: peers }, (_, k) => {
      const publicIP = `10.252.${Math.floor(k / 250)}.${(k % 250) + 1}`;
      return {
        subnet: `10.${100 + Math.floor(k / 256)}.${k % 256}.0/24`,
        node: `p${k}`,
        publicIP,
        vtepMac: vtepMac(publicIP),
      };
    });
    let t0 = performance.now();
    for (const p of list) dev.program(p);
    const add = (performance.now() - t0) / peers;
    // A put with unchanged attributes replaces the same trio: what a peer's restart costs.
    t0 = performance.now();
    for (const p of list) dev.program(p);
    const replace = (performance.now() - t0) / peers;
    t0 = performance.now();
    for (const p of list) dev.remove(p);
    const del = (performance.now() - t0) / peers;
    return { add, replace, del };
  } finally {
    rtnl.close();
    ul.cleanup();
  }
}

async function waitAll(lab, nodes, pred, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await Promise.all(nodes.map(async (i) => pred(await lab.fabric(i), i)));
    if (ok.every(Boolean)) return Date.now();
    if (Date.now() > deadline) throw new Error("convergence not reached in time");
    await sleep(10);
  }
}

async function convergence() {
  const lab = new FabricLab({ nodes: 4, ttl: 10, resyncMs: 60_000 });
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  try {
    await lab.startEtcd();
    await lab.init(["--lease-ttl", "10"]);
    let t0 = Date.now();
    await Promise.all([1, 2, 3].map((i) => lab.startDaemon(i)));
    const bringUp = (await waitAll(lab, [1, 2, 3], (f) => f.peers.length === 2)) - t0;
    t0 = Date.now();
    await lab.startDaemon(4);
    const join4 = (await waitAll(lab, [1, 2, 3], (f) => f.peers.some((p) => p.node === "node4"))) - t0;
    const script = dist("test/fabric/fixtures/put-peers.js");
    const put = spawnSync(
      "nsenter",
      [`--net=${lab.ul.node(1).path}`, process.execPath, script, lab.prefix, lab.etcd.endpoint(1), "50", "put"],
      { encoding: "utf8", env },
    );
    if (put.status !== 0) throw new Error(`put-peers failed: ${put.stderr}`);
    const { startedAt } = JSON.parse(put.stdout);
    const fifty = (await waitAll(lab, [1, 2, 3, 4], (f) => f.peers.length === 53)) - startedAt;
    if (fifty > 2000) {
      // An outlier: show what the daemons said about their watches meanwhile.
      for (const i of [1, 2, 3, 4]) {
        const lines = lab
          .daemon(i)
          .log.split("\n")
          .filter((l) => /watch|listed|etcd/.test(l));
        console.error(`node ${i}: ${lines.slice(-5).join("\n  ")}`);
      }
    }
    const routes = lab.overlayRoutes(1).size;
    const del = spawnSync(
      "nsenter",
      [`--net=${lab.ul.node(1).path}`, process.execPath, script, lab.prefix, lab.etcd.endpoint(1), "50", "delete"],
      { encoding: "utf8", env },
    );
    if (del.status !== 0) throw new Error(`put-peers delete failed: ${del.stderr}`);
    const { startedAt: delAt } = JSON.parse(del.stdout);
    // Deleted peers go after the delete grace (2 × TTL/4 = 5 s here): that is the figure, by design.
    const drop = (await waitAll(lab, [1, 2, 3, 4], (f) => f.peers.length === 3)) - delAt;
    return { bringUp, join4, fifty, routes, drop };
  } finally {
    await lab.cleanup();
  }
}

const prog = [];
for (let r = 0; r < runs; r++) prog.push(programCost(200));
const conv = [];
for (let r = 0; r < runs; r++) conv.push(await convergence());

const result = {
  when: new Date().toISOString(),
  loadavg: loadavg().map((x) => round(x, 2)),
  runs,
  perPeerMs: {
    program: round(median(prog.map((p) => p.add))),
    replaceUnchanged: round(median(prog.map((p) => p.replace))),
    remove: round(median(prog.map((p) => p.del))),
    peers: 200,
  },
  convergenceMs: {
    threeNodeBringUp: median(conv.map((c) => c.bringUp)),
    fourthNodeJoin: median(conv.map((c) => c.join4)),
    fiftySimulatedPeers: median(conv.map((c) => c.fifty)),
    fiftyDeletedPeersGone: median(conv.map((c) => c.drop)),
    ranges: {
      threeNodeBringUp: [Math.min(...conv.map((c) => c.bringUp)), Math.max(...conv.map((c) => c.bringUp))],
      fourthNodeJoin: [Math.min(...conv.map((c) => c.join4)), Math.max(...conv.map((c) => c.join4))],
      fiftySimulatedPeers: [Math.min(...conv.map((c) => c.fifty)), Math.max(...conv.map((c) => c.fifty))],
    },
    routesOnNode1With53Peers: conv[0]?.routes,
  },
};
console.log("fabric bench (median of %d runs, load %s)", runs, result.loadavg.join(" "));
console.table({
  "program one peer (neigh+fdb+onlink route), ms": result.perPeerMs.program,
  "replace an unchanged peer, ms": result.perPeerMs.replaceUnchanged,
  "remove one peer, ms": result.perPeerMs.remove,
  "3 nodes: start → every node has every peer, ms": result.convergenceMs.threeNodeBringUp,
  "4th node joins → 3 nodes have it, ms (incl. Node start)": result.convergenceMs.fourthNodeJoin,
  "50 simulated peers written → all 4 nodes have them, ms": result.convergenceMs.fiftySimulatedPeers,
  "50 peers deleted → gone everywhere (delete grace 5 s), ms": result.convergenceMs.fiftyDeletedPeersGone,
});
const out = join(root, "bench/results", `fabric-${Date.now()}.json`);
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`saved ${out}`);
