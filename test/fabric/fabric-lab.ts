/**
 * The whole fabric on one machine: an underlay of node netns, a 3-member etcd on nodes 1–3, one
 * quantumd per node in fabric mode (spawned inside its node netns), and pods (netns) added through
 * bin/quantum exactly as a runtime does. cleanup() removes every process (by pid), netns and dir.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expectOk, runPlugin } from "../helpers/cni-runner.js";
import { createTestNetns, deleteTestNetns, ipJson, type TestNetns } from "../helpers/netns.js";
import { runProcess } from "../helpers/process.js";
import { TestDaemon } from "../server/daemon.js";
import { EtcdMembers } from "./etcd.js";
import { Underlay } from "./underlay.js";

export const quantumctlBin = fileURLToPath(new URL("../../../bin/quantumctl", import.meta.url));

export interface FabricStatusJson {
  phase: string;
  subnet?: string;
  fenced: boolean;
  fenceReason?: string;
  degraded: boolean;
  conflicts: number;
  vtepMac: string;
  mtu?: number;
  peers: { subnet: string; node: string; publicIP: string; vtepMac: string }[];
  peerCounters: { programmed: number; removed: number; repaired: number; errors: number };
  renewalAgeMs?: number;
}

export interface Pod {
  ns: TestNetns;
  node: number;
  id: string;
  ip: string;
}

export interface LabOptions {
  nodes: number;
  network?: string;
  ttl?: number;
  quarantine?: number;
  resyncMs?: number;
}

export class FabricLab {
  readonly ul: Underlay;
  readonly etcd: EtcdMembers;
  readonly dir: string;
  readonly daemons = new Map<number, TestDaemon>();
  readonly pods: Pod[] = [];
  readonly prefix: string;
  readonly network: string;

  constructor(readonly o: LabOptions) {
    this.ul = Underlay.create(o.nodes);
    this.etcd = new EtcdMembers(this.ul);
    this.dir = mkdtempSync(join(tmpdir(), "qflab-"));
    this.prefix = `/qtest-${this.etcd.token}/`;
    this.network = o.network ?? "10.254.0.0/16";
  }

  async startEtcd(): Promise<void> {
    this.etcd.startAll();
    await this.etcd.waitHealthy();
  }

  /** quantumctl inside node `via`'s netns. */
  ctl(args: string[], via = 1, endpoints = this.etcd.endpoints()) {
    const env: Record<string, string | undefined> = { ...process.env };
    delete env["NODE_EXTRA_CA_CERTS"];
    return runProcess(
      "nsenter",
      [
        `--net=${this.ul.node(via).path}`,
        quantumctlBin,
        ...args,
        "--etcd-endpoints",
        endpoints,
        "--prefix",
        this.prefix,
      ],
      {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: undefined },
      },
    );
  }

  async init(extra: string[] = []): Promise<void> {
    const r = await this.ctl([
      "fabric",
      "init",
      "--network",
      this.network,
      "--lease-ttl",
      String(this.o.ttl ?? 4),
      "--quarantine",
      String(this.o.quarantine ?? 3),
      ...extra,
    ]);
    assert.equal(r.code, 0, `fabric init failed: ${r.stdout}${r.stderr}`);
  }

  dataDir(i: number): string {
    const d = join(this.dir, `node${i}`);
    mkdirSync(d, { recursive: true });
    return d;
  }

  /** Starts quantumd on node i (same data dir across restarts); endpoints in the given member order. */
  async startDaemon(i: number, order?: number[], extraArgs: string[] = []): Promise<TestDaemon> {
    if (this.daemons.has(i)) throw new Error(`quantumd on node ${i} is already running`);
    const d = new TestDaemon(this.ul.node(i).name, {
      dataDirs: [this.dataDir(i)],
      extraArgs: [
        "--etcd-endpoints",
        this.etcd.endpoints(order),
        "--node-name",
        `node${i}`,
        "--public-ip",
        this.ul.ip(i),
        "--fabric-prefix",
        this.prefix,
        "--fabric-resync-ms",
        String(this.o.resyncMs ?? 2000),
        "--no-reconcile",
        ...extraArgs,
      ],
    });
    this.daemons.set(i, d);
    await d.start();
    return d;
  }

  daemon(i: number): TestDaemon {
    const d = this.daemons.get(i);
    if (!d) throw new Error(`no quantumd on node ${i}`);
    return d;
  }

  async fabric(i: number): Promise<FabricStatusJson> {
    const s = await this.daemon(i).status();
    const f = s["fabric"] as FabricStatusJson | undefined;
    if (!f) throw new Error(`quantumd on node ${i} is not in fabric mode: ${JSON.stringify(s)}`);
    return f;
  }

  /** Polls until pred holds for node i's fabric status. */
  async waitFabric(
    i: number,
    pred: (f: FabricStatusJson) => boolean,
    what: string,
    timeoutMs = 30_000,
  ): Promise<FabricStatusJson> {
    const deadline = Date.now() + timeoutMs;
    let last: FabricStatusJson | undefined;
    for (;;) {
      last = await this.fabric(i);
      if (pred(last)) return last;
      if (Date.now() > deadline) {
        throw new Error(
          `node ${i}: ${what} not reached in ${timeoutMs} ms; status ${JSON.stringify(last)}\n${this.daemon(i).log.slice(-3000)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGKILL by pid; the data dir stays. */
  async killDaemon(i: number): Promise<void> {
    const d = this.daemons.get(i);
    if (!d) return;
    this.daemons.delete(i);
    await d.cleanup();
  }

  netConfig(i: number): Record<string, unknown> {
    return { cniVersion: "1.1.0", name: "fabnet", type: "quantum", driver: "overlay", dataDir: this.dataDir(i) };
  }

  /** CNI ADD of a new pod netns on node i through bin/quantum → this node's quantumd. */
  async addPod(i: number): Promise<Pod> {
    const ns = createTestNetns("qfpod");
    const id = ns.name;
    try {
      const r = await this.cni("ADD", i, ns, id);
      expectOk(r, `ADD ${id} on node ${i}`);
      const result = r.json as { ips?: { address: string }[] };
      const ip = result.ips?.[0]?.address.split("/")[0];
      if (!ip) throw new Error(`ADD on node ${i} gave no address: ${r.stdout}`);
      const pod = { ns, node: i, id, ip };
      this.pods.push(pod);
      return pod;
    } catch (e) {
      deleteTestNetns(ns);
      throw e;
    }
  }

  cni(command: "ADD" | "DEL" | "STATUS", i: number, ns?: TestNetns, id?: string) {
    return runPlugin({
      command,
      hostNetns: this.ul.node(i).name,
      ...(ns ? { netns: ns.path, ifname: "eth0", containerId: id ?? ns.name } : {}),
      config: this.netConfig(i),
      extraEnv: this.daemon(i).env,
    });
  }

  /** Routes node i has to other nodes' subnets through the vxlan: subnet → gateway. */
  overlayRoutes(i: number): Map<string, string> {
    const routes = ipJson<{ dst: string; gateway?: string; dev?: string; flags?: string[] }[]>(this.ul.node(i).name, [
      "-4",
      "route",
      "show",
    ]);
    const out = new Map<string, string>();
    for (const r of routes) if (r.dev?.startsWith("qvx") && r.gateway) out.set(r.dst, r.gateway);
    return out;
  }

  async cleanup(): Promise<void> {
    const errors: unknown[] = [];
    for (const i of [...this.daemons.keys()]) await this.killDaemon(i).catch((e) => errors.push(e));
    await this.etcd.cleanup().catch((e) => errors.push(e));
    for (const p of this.pods.splice(0)) {
      try {
        deleteTestNetns(p.ns);
      } catch (e) {
        errors.push(e);
      }
    }
    try {
      this.ul.cleanup();
    } catch (e) {
      errors.push(e);
    }
    rmSync(this.dir, { recursive: true, force: true });
    if (errors.length > 0) throw new AggregateError(errors, "fabric lab cleanup failed");
  }
}

/** GET url from inside node i's netns (the metrics listen on that netns' loopback). */
export async function fetchIn(lab: FabricLab, i: number, url: string): Promise<string> {
  const script = `fetch(${JSON.stringify(url)}).then((r) => r.text()).then((t) => process.stdout.write(t), (e) => { console.error(e.message); process.exit(1); })`;
  const r = await runProcess("nsenter", [`--net=${lab.ul.node(i).path}`, process.execPath, "-e", script]);
  if (r.code !== 0) throw new Error(`GET ${url} in node ${i}: ${r.stderr}`);
  return r.stdout;
}

/** ping -c1 from a pod; true on a reply. */
export async function ping(from: TestNetns, to: string, extra: string[] = []): Promise<{ ok: boolean; out: string }> {
  const r = await runProcess("ip", ["netns", "exec", from.name, "ping", "-c1", "-W2", ...extra, to]);
  return { ok: r.code === 0, out: r.stdout + r.stderr };
}
