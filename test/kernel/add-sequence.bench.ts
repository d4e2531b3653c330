// Micro-measurement, not a test: the kernel part of a CNI ADD per container (veth with its peer
// born in the container netns as eth0, host end on a bridge and up; then in the container one
// address, link up, default route), over N private namespaces. Needs root.
//   node dist/test/kernel/add-sequence.bench.js [N] [WARMUP]
// Compare with kernel-notes.md ("small in-house N-API addon + TypeScript encoder": ~0.8 ms warm).
import { closeSync } from "node:fs";
import { loadavg } from "node:os";
import { openNetnsFd, Rtnl } from "../../src/kernel/index.js";
import { TestNamespaces, type TestNetns } from "../helpers/netns.js";

const n = Number(process.argv[2] ?? 100);
const warmup = Number(process.argv[3] ?? 30);

/** One container's ADD sequence; returns its wall time in ms. */
function add(hostRtnl: Rtnl, bridge: number, ctr: TestNetns, i: number): number {
  const t0 = process.hrtime.bigint();
  const fd = openNetnsFd(ctr.path);
  let peer: number | undefined;
  try {
    // The host end read back by addVeth carries the peer's ifindex: no lookup in the container.
    peer = hostRtnl.addVeth({
      name: `qk-v${i}`,
      peerName: "eth0",
      peerNetnsFd: fd,
      master: bridge,
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
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const set = TestNamespaces.create(warmup + n + 1);
try {
  const [host, ...ctrs] = set.list;
  if (!host) throw new Error("no host netns");
  const hostRtnl = Rtnl.open(host.path);
  const br = hostRtnl.addBridge({ name: "qk-br0", up: true });
  hostRtnl.addAddress(br.index, "10.88.0.1/16");

  // Warm-up: let V8 compile the encoders (its compiler threads count in cpuUsage).
  for (const [i, ctr] of ctrs.slice(0, warmup).entries()) add(hostRtnl, br.index, ctr, i);

  // CPU time (user + sys, the kernel's work in our syscalls included) holds up better on a
  // loaded machine than wall time, which there mostly measures the scheduler.
  const cpu0 = process.cpuUsage();
  const times = ctrs.slice(warmup).map((ctr, i) => add(hostRtnl, br.index, ctr, warmup + i));
  const cpu = process.cpuUsage(cpu0);
  hostRtnl.close();

  const total = times.reduce((a, b) => a + b, 0);
  const sorted = [...times].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]?.toFixed(3);
  const ms = (us: number) => (us / 1000 / n).toFixed(3);
  console.log(
    `${n} containers (after ${warmup} warm-up): total ${total.toFixed(1)} ms, mean ${(total / n).toFixed(3)} ms, ` +
      `min ${sorted[0]?.toFixed(3)} ms, median ${pct(0.5)} ms, p90 ${pct(0.9)} ms; ` +
      `cpu ${ms(cpu.user + cpu.system)} ms per container (user ${ms(cpu.user)}, sys ${ms(cpu.system)}); ` +
      `load ${loadavg()[0]?.toFixed(1)}`,
  );
} finally {
  set.cleanup();
}
