// Micro-measurement, not a test: the kernel part of a CNI ADD per container (veth with its peer
// born in the container netns as eth0, host end on a bridge and up; then in the container one
// address, link up, default route), over N private namespaces. Needs root.
//   node dist/test/kernel/add-sequence.bench.js [N]
// Compare with kernel-notes.md ("small in-house N-API addon + TypeScript encoder": ~0.8 ms).
import { closeSync } from "node:fs";
import { openNetnsFd, Rtnl } from "../../src/kernel/index.js";
import { TestNamespaces } from "../helpers/netns.js";

const n = Number(process.argv[2] ?? 100);
const set = TestNamespaces.create(n + 1);
try {
  const [host, ...ctrs] = set.list;
  if (!host) throw new Error("no host netns");
  const hostRtnl = Rtnl.open(host.path);
  const br = hostRtnl.addBridge({ name: "qk-br0", up: true });
  hostRtnl.addAddress(br.index, "10.88.0.1/16");

  const times: number[] = [];
  ctrs.forEach((ctr, i) => {
    const t0 = process.hrtime.bigint();
    const fd = openNetnsFd(ctr.path);
    let peer: number | undefined;
    try {
      peer = hostRtnl.addVeth({
        name: `qk-v${i}`,
        peerName: "eth0",
        peerNetnsFd: fd,
        master: br.index,
        up: true,
      }).peerIndex;
    } finally {
      closeSync(fd);
    }
    if (peer === undefined) throw new Error("no peer index");
    const c = Rtnl.open(ctr.path);
    try {
      c.addAddress(peer, `10.88.${1 + (i >> 8)}.${i & 255}/16`);
      c.setLink(peer, { up: true });
      c.addRoute({ dst: "0.0.0.0/0", gw: "10.88.0.1", index: peer });
    } finally {
      c.close();
    }
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  });
  hostRtnl.close();

  const total = times.reduce((a, b) => a + b, 0);
  const sorted = [...times].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]?.toFixed(3);
  console.log(
    `${n} containers: total ${total.toFixed(1)} ms, mean ${(total / n).toFixed(3)} ms, ` +
      `median ${pct(0.5)} ms, p90 ${pct(0.9)} ms, first ${times[0]?.toFixed(3)} ms`,
  );
} finally {
  set.cleanup();
}
