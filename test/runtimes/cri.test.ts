/**
 * The path kubelet takes: containerd 1.6's CRI plugin, driven over its gRPC API (runtime.v1) by this
 * test playing kubelet (CriLab: private netns as host, private mount namespace, pause image built
 * here). Pods are shaped like kubelet's (metadata, hostname, log dir, dns_config, labels, cgroup
 * parent, port mappings). Per scenario, for two pods:
 * - PodSandboxStatus's IP == our ADD result (libcni's cache) == our store (`quantumctl attachment ls
 *   --json`, which also names the pod) == the kernel (`ip -j addr` in the pod's netns);
 * - the pods ping each other and the gateway; a hostPort reaches pod A from a client outside the
 *   host netns and from the host's localhost;
 * - kubelet's Stop, Stop, Remove: three DELs per pod (the last two with an empty CNI_NETNS and no
 *   prevResult), each answered 0; then nothing is left (store, links, nft elements and host port
 *   maps, portmap's iptables rules, libcni cache, sandboxes).
 * Scenarios: quantumd serving the shim (it runs in containerd's mount namespace: pod netns live
 * there) with portmap chained after quantum, then quantum's own entry declaring portMappings, dns
 * and pod annotations with NO portmap; then both again in direct mode (quantumd stopped).
 * RunPodSandbox times are printed as diagnostics (bench/cri-run-pod-sandbox.ts compares them).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SqliteStore } from "../../src/store/index.js";
import { quantumctlBin } from "../cli/ctl.js";
import { createTestNetns, deleteTestNetns, ipJson, nsExec, type TestNetns, uniqueName } from "../helpers/netns.js";
import { testRegistryDir } from "../helpers/registry.js";
import { daemonRequests, TestDaemon } from "../server/daemon.js";
import { CriClient, type PodSandboxConfig, sandboxPid } from "./cri/client.js";
import { CriLab, type TracedCall } from "./cri/lab.js";
import { iptablesSave, linkClient, PeerServer, tcpProbe, waitFor } from "./net.js";
import { must, runIn } from "./podman.js";
import { requireCommands, requireReferencePlugins, requireRoot, requireStaticBusybox } from "./preflight.js";

const NET = "qrt-crinet";
const SUBNET = "10.87.0";
const HOST_IP = "10.99.7.1";
const CLIENT_IP = "10.99.7.2";
const METRICS_PORT = 9471;
const POD_NS = "qrt-ns";

type Chain = "portmap" | "own";

interface Pod {
  id: string;
  name: string;
  uid: string;
  ip: string;
  pid: number;
  hostPort?: number;
}

describe("containerd 1.6 CRI (kubelet's path): RunPodSandbox on a quantum network", () => {
  let lab: CriLab | undefined;
  let cri: CriClient | undefined;
  let daemon: TestDaemon | undefined;
  let client: TestNetns | undefined;
  let base: Record<string, unknown> = {};
  const servers: PeerServer[] = [];
  const timings: string[] = [];
  const leftovers: string[] = [];
  let daemonRunning = false;

  before(async () => {
    requireRoot();
    requireCommands(["containerd", "ctr", "containerd-shim-runc-v2", "runc", "unshare", "nsenter", "tar", "iptables"]);
    requireReferencePlugins(["loopback", "portmap"]);
    const busybox = requireStaticBusybox();
    lab = new CriLab();
    // quantumctl writes the conflist (CniManager's shape); the scenarios add capabilities or portmap.
    const daemonSocket = join(lab.root, "quantumd.sock");
    must(
      await ctl(lab, daemonSocket, ["network", "create", NET, "--subnet", `${SUBNET}.0/24`, "--install"]),
      "quantumctl network create",
    );
    const written = join(lab.configDir, `${NET}.conflist`);
    base = JSON.parse(readFileSync(written, "utf8")) as Record<string, unknown>;
    lab.installConflist(NET, conflist("portmap", "boot"));
    client = createTestNetns("qrtcx");
    linkClient(lab.host, client, HOST_IP, CLIENT_IP);
    await lab.start();
    await lab.importPauseImage(busybox);
    cri = new CriClient(lab.socket);
    const version = await cri.version();
    assert.equal(version.runtimeName, "containerd");
    assert.equal(version.runtimeApiVersion, "v1");
    daemon = new TestDaemon(lab.host.name, {
      dataDirs: [lab.dataDir],
      nsenterArgs: [`--mount=/proc/${lab.pid}/ns/mnt`],
      extraArgs: ["--metrics-addr", `127.0.0.1:${METRICS_PORT}`],
    });
    // The conflist's socketPath must name this daemon's socket.
    base = withSocket(base, daemon.socket);
  });

  after(async () => {
    try {
      for (const s of servers.splice(0)) await s.stop();
      cri?.close();
      await daemon?.cleanup();
    } finally {
      if (client) deleteTestNetns(client);
      await lab?.cleanup();
      leftovers.push(...(lab?.leftovers() ?? []));
    }
    if (timings.length > 0) console.log(`# RunPodSandbox: ${timings.join("; ")}`);
    assert.deepEqual(leftovers, [], "the CRI lab left state on the machine");
  });

  /** Our conflist, with portmap chained after quantum or with quantum declaring the capabilities. */
  function conflist(chain: Chain, tag: string): Record<string, unknown> {
    const plugins = structuredClone(base["plugins"]) as Record<string, unknown>[];
    const ours = plugins[0]!;
    if (chain === "own") {
      ours["capabilities"] = {
        ...(ours["capabilities"] as object),
        portMappings: true,
        dns: true,
        "io.kubernetes.cri.pod-annotations": true,
      };
    } else {
      plugins.push({ type: "portmap", capabilities: { portMappings: true }, snat: true });
    }
    // A marker to see in containerd's verbose Status that it loaded this very list.
    return { ...base, "qrt.scenario": tag, plugins };
  }

  /** Installs a conflist and waits until containerd's CRI plugin reports it loaded (fsnotify reload). */
  async function useConflist(chain: Chain): Promise<string> {
    const tag = uniqueName(`scenario-${chain}`, 8);
    lab!.installConflist(NET, conflist(chain, tag));
    await waitFor(
      `containerd to load conflist ${tag}`,
      async () => (await cri!.statusInfo())["cniconfig"]?.includes(tag) ?? false,
      20_000,
    );
    return tag;
  }

  for (const [mode, chain] of [
    ["quantumd", "portmap"],
    ["quantumd", "own"],
    ["direct", "own"],
    ["direct", "portmap"],
  ] as const) {
    it(`${mode}, ${chain === "own" ? "quantum's own portMappings/dns capabilities, no portmap" : "portmap chained after quantum"}`, async () => {
      const l = lab!;
      // The quantumd scenarios run first; the direct ones after the daemon is stopped.
      if (mode === "quantumd" && !daemonRunning) {
        await daemon!.start();
        daemonRunning = true;
      } else if (mode === "direct" && daemonRunning) {
        await daemon!.stop();
        daemonRunning = false;
      }
      const servedBefore = daemonRequests(daemon!.log).length;
      await useConflist(chain);
      l.clearCalls();
      const tag = `${mode === "quantumd" ? "d" : "x"}${chain === "own" ? "o" : "p"}`;
      const hostPort = 30000 + Math.floor(Math.random() * 2000) * 2;
      const pods = [await runPod(tag, "a", hostPort), await runPod(tag, "b")];
      const [a, b] = pods as [Pod, Pod];

      // Addresses: CRI == our result (libcni's cache) == our store == the kernel.
      const attachments = await attachmentsJson();
      for (const p of pods) {
        const cached = cachedResult(p.id);
        assert.deepEqual(
          cached.ips.map((i) => [i.address, i.gateway]),
          [[`${p.ip}/24`, `${SUBNET}.1`]],
          `${p.name}: CRI's IP is our result's`,
        );
        assert.deepEqual(podAddrs(p.pid), [`${p.ip}/24`], `${p.name}: the kernel has our address`);
        const att = attachments.filter((x) => x.containerId === p.id);
        assert.deepEqual(
          att.map((x) => [x.network, x.ifname, x.ips]),
          [[NET, "eth0", [`${p.ip}/24`]]],
        );
        assert.deepEqual(att[0]?.pod, { namespace: POD_NS, name: p.name, uid: p.uid, infraContainerId: p.id });
        if (chain === "own") {
          // The dns capability: the pod's dns_config is in our result.
          assert.deepEqual(cached.dns, {
            nameservers: ["10.96.0.10"],
            search: [`${POD_NS}.svc.cluster.local`, "svc.cluster.local", "cluster.local"],
            options: ["ndots:5"],
          });
        }
      }
      const table = must(await ctl(l, daemon!.socket, ["attachment", "ls"]), "attachment ls").stdout;
      assert.match(table, /NAMESPACE\s+POD\s+CONTAINER/);
      for (const p of pods) assert.match(table, new RegExp(`${NET}\\s+${POD_NS}\\s+${p.name}\\s+${p.id}`));

      // Traffic between namespaces of ours: pod to pod, pod to gateway.
      podPing(a, b.ip);
      podPing(b, a.ip);
      podPing(a, `${SUBNET}.1`);

      // hostPort → pod A:8080, from an outside client and from the host's localhost.
      const server = await PeerServer.start(`/proc/${a.pid}/ns/net`, 8080);
      servers.push(server);
      assert.equal(await tcpProbe(client!.name, HOST_IP, hostPort), `from ${CLIENT_IP}`, "hostPort from outside");
      assert.match(
        await tcpProbe(l.host.name, "127.0.0.1", hostPort),
        /^from \d+\.\d+\.\d+\.\d+$/,
        "hostPort from localhost",
      );
      if (chain === "own") {
        assert.equal(hostPortElements().length, 1, "one host port element of ours");
        assert.equal(iptablesSave(l.host.name).includes(`--dport ${hostPort}`), false, "no portmap rule");
      } else {
        assert.match(iptablesSave(l.host.name), new RegExp(`--dport ${hostPort}`), "portmap's DNAT rule");
        assert.deepEqual(hostPortElements(), [], "quantum maps no host port when portmap does");
      }

      if (mode === "quantumd") {
        const metrics = nsExec(l.host.name, "busybox", ["wget", "-qO-", `http://127.0.0.1:${METRICS_PORT}/metrics`]);
        assert.match(
          metrics,
          new RegExp(`quantum_attachments_by_namespace\\{network="${NET}",namespace="${POD_NS}"\\} 2`),
        );
      }
      await server.stop();
      servers.splice(servers.indexOf(server), 1);

      const listed = await cri!.listPodSandbox();
      for (const p of pods) assert.equal(listed.find((s) => s.id === p.id)?.state, "SANDBOX_READY", `${p.name} listed`);
      if (chain === "own") {
        // A third pod asking for pod A's host port: our ADD fails naming the owner, containerd DELs
        // at once and removes the sandbox; nothing of it is left, pod A keeps its port.
        const err = await runPod(tag, "c", hostPort).then(
          () => undefined,
          (e: unknown) => e as Error,
        );
        assert.ok(err, "RunPodSandbox with a taken host port fails");
        assert.match(
          err.message,
          new RegExp(`host port ${hostPort}/tcp is already mapped to ${a.ip.replace(/\./g, "\\.")} \\. 8080`),
        );
        const failed = l
          .calls()
          .filter(
            (c) =>
              c.env["CNI_ARGS"]?.includes(`K8S_POD_NAME=web-${tag}-c;`) ||
              c.env["CNI_ARGS"]?.endsWith(`K8S_POD_NAME=web-${tag}-c`),
          );
        assert.deepEqual(
          failed.map((c) => [c.env["CNI_COMMAND"], c.code === 0]),
          [["ADD", false], ...failed.slice(1).map(() => ["DEL", true])],
          "the failed ADD is followed by DELs that succeed",
        );
        assert.ok(failed.length >= 2, "at least one DEL after the failed ADD");
        assert.deepEqual(
          (await attachmentsJson()).map((x) => x.containerId).sort(),
          pods.map((p) => p.id).sort(),
          "nothing recorded for the failed pod",
        );
        assert.equal(hostPortElements().length, 1, "pod A keeps its host port");
        assert.equal(
          (await cri!.listPodSandbox()).some((s) => s.metadata.name === `web-${tag}-c` && s.state === "SANDBOX_READY"),
          false,
        );
      }

      // kubelet: StopPodSandbox, StopPodSandbox again, RemovePodSandbox.
      for (const p of pods) {
        await cri!.stopPodSandbox(p.id);
        await cri!.stopPodSandbox(p.id);
        await cri!.removePodSandbox(p.id);
      }
      if (mode === "quantumd") await daemon!.idle();

      const calls = l.calls();
      // Opt-in record of what containerd sent and what we answered, per call (for notes and reviews).
      const tracePath = process.env["QUANTUM_CRI_TRACE"];
      if (tracePath) appendFileSync(tracePath, `${JSON.stringify({ scenario: `${mode}/${chain}`, calls })}\n`);
      for (const p of pods) {
        const mine = calls.filter((c) => c.env["CNI_CONTAINERID"] === p.id);
        assert.deepEqual(
          mine.map((c) => c.env["CNI_COMMAND"]),
          ["ADD", "DEL", "DEL", "DEL"],
          `${p.name}: ADD then three DELs`,
        );
        assert.deepEqual(
          mine.map((c) => c.code),
          [0, 0, 0, 0],
          `${p.name}: every call answered 0`,
        );
        const [add, del1, del2, del3] = mine as [TracedCall, TracedCall, TracedCall, TracedCall];
        assert.match(add.env["CNI_NETNS"] ?? "", /\/netns\/cni-[0-9a-f-]+$/);
        assert.equal(del1.env["CNI_NETNS"], add.env["CNI_NETNS"], "the first DEL has the netns");
        assert.ok(del1.stdin["prevResult"], "the first DEL has a prevResult");
        for (const d of [del2, del3]) {
          assert.equal(d.env["CNI_NETNS"], "", "later DELs: empty CNI_NETNS");
          assert.equal(d.stdin["prevResult"], undefined, "later DELs: no prevResult");
        }
        const args = parseArgs(add.env["CNI_ARGS"] ?? "");
        assert.deepEqual(args, {
          IgnoreUnknown: "1",
          K8S_POD_NAMESPACE: POD_NS,
          K8S_POD_NAME: p.name,
          K8S_POD_UID: p.uid,
          K8S_POD_INFRA_CONTAINER_ID: p.id,
        });
        if (chain === "own") {
          // go-cni's Go field names, on ADD and again on every DEL.
          for (const c of mine) {
            const rc = c.stdin["runtimeConfig"] as Record<string, unknown>;
            assert.deepEqual(rc["dns"], {
              Servers: ["10.96.0.10"],
              Searches: [`${POD_NS}.svc.cluster.local`, "svc.cluster.local", "cluster.local"],
              Options: ["ndots:5"],
            });
            if (p === a) {
              assert.deepEqual(rc["portMappings"], [
                { HostPort: hostPort, ContainerPort: 8080, Protocol: "tcp", HostIP: "" },
              ]);
            }
            assert.equal(typeof rc["io.kubernetes.cri.pod-annotations"], "object");
          }
        } else {
          assert.equal(add.stdin["runtimeConfig"], undefined, "no capability declared: no runtimeConfig");
        }
      }
      if (mode === "quantumd") {
        const served = daemonRequests(daemon!.log).slice(servedBefore);
        for (const p of pods) {
          assert.ok(
            served.some((r) => r.command === "ADD" && r.containerId === p.id && r.code === 0),
            `daemon ADD ${p.name}`,
          );
          assert.equal(
            served.filter((r) => r.command === "DEL" && r.containerId === p.id).length,
            3,
            `daemon DELs ${p.name}`,
          );
        }
      } else {
        assert.equal(daemonRequests(daemon!.log).length, servedBefore, "the stopped daemon served nothing");
      }
      await assertNothingLeft(pods, hostPort);
      timings.push(`${mode}/${chain}: ${pods.map((p) => `${p.name} ${runMs.get(p.id)} ms`).join(", ")}`);
    });
  }

  const runMs = new Map<string, number>();

  /** RunPodSandbox shaped like kubelet's, then PodSandboxStatus (verbose: the pause pid). */
  async function runPod(tag: string, which: string, hostPort?: number): Promise<Pod> {
    const l = lab!;
    const name = `web-${tag}-${which}`;
    const uid = `${uniqueName("0b3f", 8)}-4c2e-9a1d-${which}`;
    const config: PodSandboxConfig = {
      metadata: { name, uid, namespace: POD_NS, attempt: 0 },
      hostname: name,
      logDirectory: l.podLogDir(POD_NS, name, uid),
      dnsConfig: {
        servers: ["10.96.0.10"],
        searches: [`${POD_NS}.svc.cluster.local`, "svc.cluster.local", "cluster.local"],
        options: ["ndots:5"],
      },
      portMappings: hostPort ? [{ protocol: "TCP", containerPort: 8080, hostPort, hostIp: "" }] : [],
      labels: {
        "io.kubernetes.pod.name": name,
        "io.kubernetes.pod.namespace": POD_NS,
        "io.kubernetes.pod.uid": uid,
        app: "web",
      },
      annotations: { "kubernetes.io/config.source": "api", "kubernetes.io/config.seen": new Date().toISOString() },
      linux: { cgroupParent: `/${l.cgroupParent}/pod${uid}` },
    };
    const t0 = process.hrtime.bigint();
    const id = await cri!.runPodSandbox(config);
    runMs.set(id, Number((process.hrtime.bigint() - t0) / 1000n) / 1000);
    const st = await cri!.podSandboxStatus(id);
    assert.equal(st.status.state, "SANDBOX_READY");
    assert.deepEqual(st.status.metadata, config.metadata);
    const ip = st.status.network?.ip ?? "";
    assert.match(ip, new RegExp(`^${SUBNET.replace(/\./g, "\\.")}\\.\\d+$`), `${name}: CRI reports an IP of ours`);
    assert.deepEqual(st.status.network?.additionalIps, []);
    return { id, name, uid, ip, pid: sandboxPid(st), ...(hostPort ? { hostPort } : {}) };
  }

  /** Our result for a pod as go-cni cached it (libcni's cache, bind-mounted from the lab). */
  function cachedResult(id: string): { ips: { address: string; gateway: string }[]; dns?: unknown } {
    const path = join(lab!.cacheDir, "results", `${NET}-${id}-eth0`);
    return (JSON.parse(readFileSync(path, "utf8")) as { result: { ips: { address: string; gateway: string }[] } })
      .result;
  }

  async function attachmentsJson(): Promise<
    { network: string; containerId: string; ifname: string; ips: string[]; pod?: unknown }[]
  > {
    return JSON.parse(
      must(await ctl(lab!, daemon!.socket, ["attachment", "ls", "--json"]), "attachment ls --json").stdout,
    ) as { network: string; containerId: string; ifname: string; ips: string[]; pod?: unknown }[];
  }

  function hostPortElements(): unknown[] {
    let json: { nftables: { map?: { name: string; elem?: unknown[] } }[] };
    try {
      json = JSON.parse(nsExec(lab!.host.name, "nft", ["-j", "list", "table", "inet", "quantum"]));
    } catch {
      return [];
    }
    return json.nftables.flatMap((o) => (o.map && /^hp[46]/.test(o.map.name) ? (o.map.elem ?? []) : []));
  }

  async function assertNothingLeft(pods: Pod[], hostPort: number): Promise<void> {
    const l = lab!;
    assert.deepEqual(await attachmentsJson(), [], "no attachment in our store");
    const store = SqliteStore.open(l.dataDir);
    try {
      assert.deepEqual(store.listReservations(NET), [], "no reservation left");
      assert.deepEqual(store.listPendingLinkDeletions(), [], "no pending link deletion left");
    } finally {
      store.close();
    }
    const veths = ipJson<{ ifname: string; linkinfo?: { info_kind?: string } }[]>(l.host.name, ["-d", "link", "show"])
      .filter((x) => x.linkinfo?.info_kind === "veth")
      .map((x) => x.ifname);
    assert.deepEqual(
      veths.filter((v) => !v.startsWith("qx-")),
      [],
      "no pod veth in the host netns",
    );
    const nft = nftText(l);
    for (const p of pods) {
      assert.ok(!nft.includes(p.ip), `nft still names ${p.ip}`);
      assert.equal(existsSync(join(l.cacheDir, "results", `${NET}-${p.id}-eth0`)), false, `libcni cache of ${p.name}`);
    }
    assert.deepEqual(hostPortElements(), [], "no host port element left");
    assert.equal(iptablesSave(l.host.name).includes(`--dport ${hostPort}`), false, "no portmap rule left");
    const listed = (await cri!.listPodSandbox()).filter((s) => pods.some((p) => p.id === s.id));
    assert.deepEqual(listed, [], "the sandboxes are removed");
  }

  function podPing(from: Pod, to: string): void {
    execFileSync("nsenter", [`--net=/proc/${from.pid}/ns/net`, "ping", "-c", "1", "-W", "2", to], {
      timeout: 10_000,
      stdio: "pipe",
    });
  }
});

/** The global addresses of eth0 inside a pod (ip -j in its netns, entered through the pause pid). */
function podAddrs(pid: number): string[] {
  const out = execFileSync("nsenter", [`--net=/proc/${pid}/ns/net`, "ip", "-j", "addr", "show", "dev", "eth0"], {
    encoding: "utf8",
    timeout: 10_000,
  });
  const links = JSON.parse(out || "[]") as { addr_info: { local: string; prefixlen: number; scope: string }[] }[];
  return links.flatMap((x) => x.addr_info.filter((a) => a.scope === "global").map((a) => `${a.local}/${a.prefixlen}`));
}

function nftText(l: CriLab): string {
  try {
    return nsExec(l.host.name, "nft", ["list", "table", "inet", "quantum"]);
  } catch {
    return "";
  }
}

function parseArgs(raw: string): Record<string, string> {
  return Object.fromEntries(raw.split(";").map((kv) => kv.split("=") as [string, string]));
}

function withSocket(list: Record<string, unknown>, socket: string): Record<string, unknown> {
  const plugins = structuredClone(list["plugins"]) as Record<string, unknown>[];
  plugins[0]!["socketPath"] = socket;
  return { ...list, plugins };
}

/** quantumctl inside the lab's host netns with every directory pointed into the lab. */
function ctl(lab: CriLab, socket: string, args: string[]) {
  const globals = ["--data-dir", lab.dataDir, "--config-dir", lab.configDir, "--plugin-dir", lab.pluginDir];
  return runIn(lab.host.path, quantumctlBin, [...globals, "--socket", socket, ...args], {
    PATH: process.env.PATH,
    QUANTUM_REGISTRY_DIR: testRegistryDir(),
  });
}
