// Fixture for kernel integration tests: a private "host" stand-in netns and a container netns,
// an Rtnl opened in each, and everything removed afterwards, whatever happens.
import { closeSync } from "node:fs";
import { openNetnsFd, Rtnl } from "../../src/kernel/index.js";
import { type TestNetns, uniqueName, withTestNetns } from "../helpers/netns.js";

export interface Pair {
  host: TestNetns;
  ctr: TestNetns;
  /** Socket inside `host` (never the machine's own netns). */
  hostRtnl: Rtnl;
  ctrRtnl: Rtnl;
}

/** These tests create namespaces and links: they need root. */
export const needsRoot = process.getuid?.() === 0 ? false : "needs root (creates network namespaces)";

export function withPair<T>(fn: (p: Pair) => T | Promise<T>): Promise<T> {
  return withTestNetns(2, async ([host, ctr]) => {
    if (!host || !ctr) throw new Error("withTestNetns gave fewer namespaces than asked");
    const hostRtnl = Rtnl.open(host.path);
    const ctrRtnl = Rtnl.open(ctr.path);
    try {
      return await fn({ host, ctr, hostRtnl, ctrRtnl });
    } finally {
      hostRtnl.close();
      ctrRtnl.close();
    }
  });
}

/** A unique link name: "qk-" + 8 hex characters (11 bytes, under IFNAMSIZ). */
export function linkName(): string {
  return uniqueName("qk");
}

/** Interface names `ip -j link` lists in a test netns. */
export function ifnames(links: { ifname: string }[]): string[] {
  return links.map((l) => l.ifname).sort();
}

/**
 * A veth between the two namespaces, both ends up: host end `qk-...`, container end eth0.
 * Returns both ifindexes (each in its own netns).
 */
export function wire(p: Pair): { hostIndex: number; hostName: string; eth0: number } {
  const hostName = linkName();
  const fd = openNetnsFd(p.ctr.path);
  let hostIndex: number;
  try {
    hostIndex = p.hostRtnl.addVeth({ name: hostName, peerName: "eth0", peerNetnsFd: fd, up: true }).index;
  } finally {
    closeSync(fd);
  }
  const eth0 = p.ctrRtnl.getLink("eth0");
  if (!eth0) throw new Error("eth0 missing in the container netns right after creation");
  p.ctrRtnl.setLink(eth0.index, { up: true });
  return { hostIndex, hostName, eth0: eth0.index };
}
