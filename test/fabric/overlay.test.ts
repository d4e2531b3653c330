// Issue 12, item 1: three simulated nodes on one underlay, a real 3-member etcd, quantumd in fabric
// mode on each, two pods per node added through bin/quantum: every pod reaches every other across
// nodes over VXLAN, and the MTU is the underlay's minus the VXLAN overhead end to end.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ipIn, ipJson } from "../helpers/netns.js";
import { fabricSkip } from "./etcd.js";
import { FabricLab, fetchIn, ping } from "./fabric-lab.js";

describe("fabric: 3 nodes × 2 pods over VXLAN", { skip: fabricSkip }, () => {
  let lab: FabricLab;
  before(async () => {
    lab = new FabricLab({ nodes: 3, ttl: 6 });
    await lab.startEtcd();
    await lab.init();
    await Promise.all(
      [1, 2, 3].map((i) => lab.startDaemon(i, undefined, i === 1 ? ["--metrics-addr", "127.0.0.1:9743"] : [])),
    );
  });
  after(async () => {
    await lab?.cleanup();
  });

  it("every node claims a distinct subnet and programs the other two as peers", async () => {
    const statuses = await Promise.all(
      [1, 2, 3].map((i) => lab.waitFabric(i, (f) => f.phase === "claimed" && f.peers.length === 2, "2 peers")),
    );
    const subnets = statuses.map((s) => s.subnet);
    assert.equal(new Set(subnets).size, 3, `subnets ${subnets.join(", ")}`);
    for (const [k, s] of statuses.entries()) {
      assert.equal(s.vtepMac, `0e:51:0a:fd:00:0${k + 1}`);
      assert.equal(s.fenced, false);
      assert.equal(s.mtu, 1450);
    }
    // The kernel oracle: node 1 routes both other subnets via their VTEP address, onlink, on the vxlan.
    for (const i of [1, 2, 3]) {
      const routes = lab.overlayRoutes(i);
      const others = statuses.filter((_, k) => k !== i - 1).map((s) => s.subnet ?? "");
      assert.deepEqual([...routes.keys()].sort(), others.sort(), `node ${i} routes`);
      for (const subnet of others) assert.equal(routes.get(subnet), subnet.split("/")[0]);
      const [vx] = ipJson<
        { mtu: number; linkinfo: { info_data: { learning: boolean; port: number; local: string; id: number } } }[]
      >(lab.ul.node(i).name, ["-d", "link", "show", "dev", "qvx1"]);
      assert.equal(vx?.linkinfo.info_data.learning, false);
      assert.equal(vx?.linkinfo.info_data.port, 4789);
      assert.equal(vx?.linkinfo.info_data.local, lab.ul.ip(i));
      assert.equal(vx?.mtu, 1450);
      const neigh = ipJson<{ dst: string; lladdr: string; state: string[] }[]>(lab.ul.node(i).name, [
        "neigh",
        "show",
        "dev",
        "qvx1",
      ]);
      assert.equal(neigh.filter((n) => n.state.includes("PERMANENT")).length, 2);
    }
  });

  it("CNI STATUS is ready on every node once it holds a subnet", async () => {
    for (const i of [1, 2, 3]) {
      const r = await lab.cni("STATUS", i);
      assert.equal(r.code, 0, `STATUS on node ${i}: ${r.stdout}${r.stderr}`);
    }
  });

  it("two pods per node, in the node's subnet, at the vxlan MTU; every pod pings every other (30 pairs)", async () => {
    for (const i of [1, 2, 3]) {
      const f = await lab.fabric(i);
      for (let k = 0; k < 2; k++) {
        const pod = await lab.addPod(i);
        const [net, len] = (f.subnet ?? "").split("/");
        assert.ok(pod.ip.startsWith(net?.split(".").slice(0, 3).join(".") ?? "x"), `${pod.ip} in ${f.subnet}`);
        assert.equal(len, "24");
        const [eth0] = ipJson<{ mtu: number }[]>(pod.ns.name, ["link", "show", "dev", "eth0"]);
        assert.equal(eth0?.mtu, 1450);
      }
    }
    const failures: string[] = [];
    const pairs: Promise<void>[] = [];
    for (const a of lab.pods) {
      for (const b of lab.pods) {
        if (a === b) continue;
        pairs.push(
          ping(a.ns, b.ip).then((r) => {
            if (!r.ok)
              failures.push(`${a.ip}(node${a.node}) → ${b.ip}(node${b.node}): ${r.out.trim().split("\n").pop()}`);
          }),
        );
      }
    }
    await Promise.all(pairs);
    assert.equal(pairs.length, 30);
    assert.deepEqual(failures, []);
  });

  it("MTU probe across nodes: 1422 bytes with DF pass, 1423 are refused with mtu=1450", async () => {
    const a = lab.pods.find((p) => p.node === 1);
    const b = lab.pods.find((p) => p.node === 3);
    assert.ok(a && b);
    const fits = await ping(a.ns, b.ip, ["-M", "do", "-s", "1422"]);
    assert.ok(fits.ok, fits.out);
    const big = await ping(a.ns, b.ip, ["-M", "do", "-s", "1423"]);
    assert.equal(big.ok, false);
    assert.match(big.out, /mtu\s*=\s*1450/i);
  });

  it("periodic reconcile: a peer route deleted by hand comes back, a stray route on the vxlan goes", async () => {
    const ns = lab.ul.node(1).name;
    const [subnet, gw] = [...lab.overlayRoutes(1)][0] ?? [];
    assert.ok(subnet && gw);
    ipIn(ns, ["route", "del", subnet]);
    ipIn(ns, ["neigh", "replace", "10.254.250.0", "lladdr", "0e:51:0a:fd:00:63", "dev", "qvx1", "nud", "permanent"]);
    ipIn(ns, ["route", "add", "10.254.250.0/24", "via", "10.254.250.0", "dev", "qvx1", "onlink"]);
    const deadline = Date.now() + 15_000;
    let routes = lab.overlayRoutes(1);
    while ((routes.get(subnet) !== gw || routes.has("10.254.250.0/24")) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      routes = lab.overlayRoutes(1);
    }
    assert.equal(routes.get(subnet), gw, "the lost peer route is re-programmed");
    assert.ok(!routes.has("10.254.250.0/24"), "the stray route is removed");
    const neigh = ipJson<{ dst: string }[]>(ns, ["neigh", "show", "dev", "qvx1"]);
    assert.ok(!neigh.some((n) => n.dst === "10.254.250.0"), "and its neighbour entry");
    assert.ok((await lab.fabric(1)).peerCounters.repaired >= 2);
  });

  it("metrics: peers, renewal age, etcd errors, fenced", async () => {
    const text = await fetchIn(lab, 1, "http://127.0.0.1:9743/metrics");
    assert.match(text, /^quantum_fabric_peers 2$/m);
    assert.match(text, /^quantum_fabric_self_fenced 0$/m);
    assert.match(text, /^quantum_fabric_claimed 1$/m);
    assert.match(text, /^quantum_fabric_etcd_errors \d+$/m);
    const age = Number(/^quantum_fabric_renewal_age_seconds (\S+)$/m.exec(text)?.[1]);
    assert.ok(age >= 0 && age < 6, `renewal age ${age} s`);
  });

  it("quantumctl fabric status and nodes show the nodes, their subnets, VTEP MACs and each endpoint's health", async () => {
    const r = await lab.ctl(["fabric", "status", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as {
      config: { network: string };
      nodes: {
        node: string;
        subnet: string;
        publicIP: string;
        vtepMac: string;
        ttlLeft: number;
        lastRenewal: string | null;
      }[];
      endpoints: { endpoint: string; healthy: boolean; isLeader: boolean }[];
    };
    assert.equal(s.config.network, "10.254.0.0/16");
    assert.deepEqual(
      s.nodes.map((n) => [n.node, n.publicIP, n.vtepMac]),
      [
        ["node1", "10.253.0.1", "0e:51:0a:fd:00:01"],
        ["node2", "10.253.0.2", "0e:51:0a:fd:00:02"],
        ["node3", "10.253.0.3", "0e:51:0a:fd:00:03"],
      ],
    );
    for (const n of s.nodes) {
      assert.ok(n.ttlLeft > 0, `${n.node} lease alive`);
      assert.ok(n.lastRenewal, `${n.node} has a last renewal`);
      assert.equal(n.subnet, (await lab.fabric(Number(n.node.slice(4)))).subnet);
    }
    assert.equal(s.endpoints.length, 3);
    assert.ok(s.endpoints.every((e) => e.healthy));
    assert.equal(s.endpoints.filter((e) => e.isLeader).length, 1);
    const table = await lab.ctl(["fabric", "nodes"]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^NODE\s+SUBNET\s+PUBLIC IP\s+VTEP MAC/m);
    assert.match(table.stdout, /node2\s+10\.254\.\d+\.0\/24\s+10\.253\.0\.2\s+0e:51:0a:fd:00:02/);
  });

  it("fabric init: the same config again is fine, a different one is refused", async () => {
    const same = await lab.ctl([
      "fabric",
      "init",
      "--network",
      "10.254.0.0/16",
      "--lease-ttl",
      "6",
      "--quarantine",
      "3",
    ]);
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stdout, /already initialised with this config/);
    const other = await lab.ctl(["fabric", "init", "--network", "10.99.0.0/16"]);
    assert.equal(other.code, 1);
    assert.match(other.stderr, /already has a different config/);
    const bad = await lab.ctl(["fabric", "init", "--network", "10.99.0.1/16"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /host bits set/);
  });

  it("in normal operation no watch is ever dropped (keep-alive streams have their own connections)", async () => {
    // Sharing a client made every watch die at each gRPC keepalive ping (every 5 s): let one pass.
    const ages = await Promise.all([1, 2, 3].map(async (i) => Number((await lab.daemon(i).status())["uptimeSeconds"])));
    const wait = Math.max(0, 7 - Math.min(...ages));
    await new Promise((r) => setTimeout(r, wait * 1000));
    for (const i of [1, 2, 3]) assert.doesNotMatch(lab.daemon(i).log, /watch ended/, `node ${i}`);
  });

  it("DEL works and the address comes back (never touching etcd)", async () => {
    const pod = lab.pods.find((p) => p.node === 2);
    assert.ok(pod);
    const r = await lab.cni("DEL", 2, pod.ns, pod.id);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const again = await lab.cni("DEL", 2, pod.ns, pod.id);
    assert.equal(again.code, 0, "DEL is idempotent");
  });
});
