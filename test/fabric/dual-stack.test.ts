// Issue 12, item 3 (dual-stack): with an IPv6 pool, each node's claim carries the paired IPv6 subnet;
// pods get both families and reach each other across nodes over the one vxlan device per node (one
// FDB entry per peer, a neighbour and an onlink route per family); IPv6 MTU is the vxlan's too.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ipJson } from "../helpers/netns.js";
import { fabricSkip } from "./etcd.js";
import { FabricLab, type Pod, ping } from "./fabric-lab.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function v6Of(pod: Pod): string {
  const [link] = ipJson<{ addr_info: { family: string; local: string; scope: string }[] }[]>(pod.ns.name, [
    "addr",
    "show",
    "dev",
    "eth0",
  ]);
  const a = link?.addr_info.find((x) => x.family === "inet6" && x.scope === "global");
  if (!a) throw new Error(`pod ${pod.id} has no global IPv6 address`);
  return a.local;
}

/** The first IPv6 packets can meet a still-tentative link-local address (P9): a few tries. */
async function ping6(from: Pod, to: string, extra: string[] = []): Promise<{ ok: boolean; out: string }> {
  let last = { ok: false, out: "" };
  for (let k = 0; k < 5; k++) {
    last = await ping(from.ns, to, ["-6", ...extra]);
    if (last.ok) return last;
    await sleep(500);
  }
  return last;
}

describe("fabric: dual-stack pool", { skip: fabricSkip }, () => {
  let lab: FabricLab;
  before(async () => {
    lab = new FabricLab({ nodes: 3, ttl: 6 });
    await lab.startEtcd();
    await lab.init(["--v6-network", "fd54::/48"]);
    await Promise.all([1, 2, 3].map((i) => lab.startDaemon(i)));
    for (const i of [1, 2, 3]) await lab.waitFabric(i, (f) => f.phase === "claimed" && f.peers.length === 2, "2 peers");
  });
  after(async () => {
    await lab?.cleanup();
  });

  it("each claim carries the paired IPv6 subnet; peers get an IPv6 onlink route via the same VTEP", async () => {
    const f1 = await lab.fabric(1);
    const f2 = await lab.fabric(2);
    const p2 = f1.peers.find((p) => p.node === "node2") as { v6Subnet?: string } | undefined;
    const index = Number((f2.subnet ?? "").split(".")[2]);
    assert.equal(p2?.v6Subnet, `fd54:0:0:${index.toString(16)}::/64`);
    const routes = ipJson<{ dst: string; gateway?: string; dev?: string; flags?: string[] }[]>(lab.ul.node(1).name, [
      "-6",
      "route",
      "show",
      "dev",
      "qvx1",
    ]);
    const r = routes.find((x) => x.dst === p2?.v6Subnet);
    assert.equal(r?.gateway, `fd54:0:0:${index.toString(16)}::`);
    assert.deepEqual(r?.flags, ["onlink"]);
  });

  it("pods get both families and reach each other across nodes; IPv6 MTU probe 1402 passes, 1403 is refused", async () => {
    const a = await lab.addPod(1);
    const b = await lab.addPod(2);
    const c = await lab.addPod(3);
    for (const [x, y] of [
      [a, b],
      [b, c],
      [c, a],
    ] as const) {
      const v4 = await ping(x.ns, y.ip);
      assert.ok(v4.ok, v4.out);
      const v6 = await ping6(x, v6Of(y));
      assert.ok(v6.ok, v6.out);
    }
    const fits = await ping6(a, v6Of(c), ["-M", "do", "-s", "1402"]);
    assert.ok(fits.ok, fits.out);
    const big = await ping(a.ns, v6Of(c), ["-6", "-M", "do", "-s", "1403"]);
    assert.equal(big.ok, false);
    assert.match(big.out, /mtu\s*[:=]\s*1450/i);
  });
});
