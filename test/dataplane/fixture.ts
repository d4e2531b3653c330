/**
 * A private lab for driving bin/quantum as a runtime does: a "host" stand-in netns where the plugin
 * runs (bridges, sysctls and nft tables land there), container namespaces, and a temp data dir.
 * Everything is removed by cleanup(), which tests call in after hooks.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../../src/store/index.js";
import { expectOk, type PluginCall, type PluginRun, runPlugin } from "../helpers/cni-runner.js";
import { createTestNetns, deleteTestNetns, ipJson, nsExec, type TestNetns } from "../helpers/netns.js";

export interface IpAddrInfo {
  ifname: string;
  operstate: string;
  flags: string[];
  addr_info: { family: string; local: string; prefixlen: number; scope: string }[];
}

export class Lab {
  readonly host: TestNetns;
  readonly dataDir: string;
  readonly containers: TestNetns[] = [];

  constructor() {
    this.host = createTestNetns("qdp");
    this.dataDir = mkdtempSync(join(tmpdir(), "qdp-"));
  }

  container(): TestNetns {
    const ns = createTestNetns("qdpc");
    this.containers.push(ns);
    return ns;
  }

  /** The seed's config shape, with a bridge name unique to this lab. */
  config(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      cniVersion: "1.0.0",
      name: "dp-net",
      type: "quantum",
      driver: "bridge",
      subnet: "10.77.0.0/24",
      gateway: "10.77.0.1",
      bridge: `qb${this.host.name.slice(-8)}`,
      dataDir: this.dataDir,
      ...extra,
    };
  }

  run(call: Omit<PluginCall, "hostNetns">): Promise<PluginRun> {
    return runPlugin({ ifname: "eth0", ...call, hostNetns: this.host.name });
  }

  async add(containerId: string, ns: TestNetns, config: unknown, ifname = "eth0"): Promise<Record<string, unknown>> {
    const run = expectOk(
      await this.run({ command: "ADD", containerId, netns: ns.path, ifname, config }),
      `ADD ${containerId}`,
    );
    return run.json!;
  }

  del(containerId: string, netns: string, config: unknown, ifname = "eth0"): Promise<PluginRun> {
    return this.run({ command: "DEL", containerId, netns, ifname, config });
  }

  /** `ip -j addr show dev` inside a namespace: the independent oracle. */
  addrs(ns: TestNetns, dev = "eth0", family?: "inet" | "inet6"): string[] {
    const info = ipJson<IpAddrInfo[]>(ns.name, ["addr", "show", "dev", dev]);
    return (info[0]?.addr_info ?? [])
      .filter((a) => (!family || a.family === family) && a.scope === "global")
      .map((a) => a.local);
  }

  hostLinks(): { ifname: string; master?: string; linkinfo?: { info_kind?: string } }[] {
    return ipJson(this.host.name, ["-d", "link", "show"]);
  }

  ping(from: TestNetns, to: string): boolean {
    try {
      nsExec(from.name, "ping", [to.includes(":") ? "-6" : "-4", "-c", "1", "-W", "1", to]);
      return true;
    } catch {
      return false;
    }
  }

  /** Every element of every set in our nft table in the host netns, as text ("" when no table). */
  nftElements(): string {
    let json: string;
    try {
      json = nsExec(this.host.name, "nft", ["-j", "list", "table", "inet", "quantum"]);
    } catch {
      return "";
    }
    const objs = (JSON.parse(json) as { nftables: Record<string, { elem?: unknown }>[] }).nftables;
    return JSON.stringify(objs.flatMap((o) => (o["set"]?.elem ? [o["set"].elem] : [])));
  }

  /** Reservations and attachments, read straight from the store file. */
  storeState(network = "dp-net"): { reservations: string[]; attachments: string[] } {
    const store = SqliteStore.open(this.dataDir);
    try {
      return {
        reservations: store.listReservations(network).map((r) => `${r.containerId}/${r.ifname}=${r.ip}`),
        attachments: store.listAttachments(network).map((a) => `${a.containerId}/${a.ifname}`),
      };
    } finally {
      store.close();
    }
  }

  /** Link deletions a fast DEL recorded and has not finished yet. */
  pendingDeletions(): number {
    const store = SqliteStore.open(this.dataDir);
    try {
      return store.listPendingLinkDeletions().length;
    } finally {
      store.close();
    }
  }

  /**
   * Nothing of any attachment is left: store empty, no pending link deletion, no host veth, and no
   * nft element whose address starts with `addressPrefix`.
   */
  assertNothingLeft(addressPrefix: string, what: string): void {
    assert.deepEqual(this.storeState(), { reservations: [], attachments: [] }, `${what}: store empty`);
    assert.equal(this.pendingDeletions(), 0, `${what}: no pending link deletion`);
    const veths = this.hostLinks()
      .filter((l) => l.ifname.startsWith("veth"))
      .map((l) => l.ifname);
    assert.deepEqual(veths, [], `${what}: no host veth left`);
    assert.equal(this.nftElements().includes(addressPrefix), false, `${what}: no nft element left`);
  }

  removeContainerNetns(ns: TestNetns): void {
    deleteTestNetns(ns);
  }

  cleanup(): void {
    for (const ns of this.containers) deleteTestNetns(ns);
    deleteTestNetns(this.host);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** The container-side address (no prefix) of a CNI result's first IP of a family. */
export function resultIp(result: Record<string, unknown>, family: 4 | 6 = 4): string {
  const ips = (result["ips"] as { address: string }[]) ?? [];
  const hit = ips.find((ip) => ip.address.includes(":") === (family === 6));
  if (!hit) throw new Error(`result has no IPv${family} address: ${JSON.stringify(result)}`);
  return hit.address.split("/")[0]!;
}
