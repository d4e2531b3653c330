/**
 * Chaining with the reference plugins, driven like libcni (LibcniDriver): one conflist
 * quantum → portmap → tuning → bandwidth (containernetworking-plugins from /usr/lib/cni; they speak
 * at most 1.0.0, so the list is 1.0.0). ADD in order with prevResult threaded, CHECK, DEL in reverse
 * with the cached final result. Every plugin must accept what came before it; the port mapping must
 * carry TCP from an "external" netns routed through the private host netns and from the host itself.
 * Everything (host, container, client netns; store, tuning data, libcni cache) is private and removed.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SqliteStore } from "../../src/store/index.js";
import { binDir, referenceDir } from "../helpers/cni-runner.js";
import { createTestNetns, deleteTestNetns, ipJson, nsExec, type TestNetns, uniqueName } from "../helpers/netns.js";
import { LibcniDriver } from "./libcni-driver.js";
import { iptablesSave, linkClient, PeerServer, tcpProbe } from "./net.js";
import { requireReferencePlugins, requireRoot } from "./preflight.js";

const CONTAINER_PORT = 8080;
const HOST_PORT = 18080;

interface Iface {
  name: string;
  mac?: string;
  sandbox?: string;
}

describe("chaining: quantum → portmap → tuning → bandwidth (reference plugins, libcni-like driver)", () => {
  const made: TestNetns[] = [];
  let dir: string;
  let host: TestNetns;
  let ctr: TestNetns;
  let ext: TestNetns;
  let chain: LibcniDriver;
  let server: PeerServer | undefined;
  let v4Bin: string;
  const bridge = uniqueName("qrb", 8).replace("-", "");
  const att = {
    containerId: uniqueName("chain", 12),
    netns: "",
    ifname: "eth0",
    capabilityArgs: {
      portMappings: [{ hostPort: HOST_PORT, containerPort: CONTAINER_PORT, protocol: "tcp" }],
      mac: "c2:11:22:33:44:55",
      bandwidth: { ingressRate: 100_000_000, ingressBurst: 4_000_000, egressRate: 100_000_000, egressBurst: 4_000_000 },
    },
  };

  before(() => {
    requireRoot();
    requireReferencePlugins(["portmap", "tuning", "bandwidth"]);
    dir = mkdtempSync(join(tmpdir(), "qrt-chain-"));
    host = createTestNetns("qrth");
    made.push(host);
    ctr = createTestNetns("qrtc");
    made.push(ctr);
    ext = createTestNetns("qrte");
    made.push(ext);
    att.netns = ctr.path;
    v4Bin = join(dir, "v4bin");
    mkdirSync(v4Bin);
    for (const tool of ["iptables", "iptables-save", "iptables-restore"])
      symlinkSync(`/usr/sbin/${tool}`, join(v4Bin, tool));
    linkClient(host, ext, "192.168.231.1", "192.168.231.2");
    chain = new LibcniDriver(
      {
        cniVersion: "1.0.0",
        name: "rt-chain",
        plugins: [
          {
            type: "quantum",
            driver: "bridge",
            subnet: "10.81.0.0/24",
            gateway: "10.81.0.1",
            bridge,
            dataDir: join(dir, "quantum"),
          },
          // snat: masquerade hairpin and localhost-originated connections (route_localnet).
          { type: "portmap", capabilities: { portMappings: true }, snat: true },
          {
            type: "tuning",
            capabilities: { mac: true },
            sysctl: { "net.core.somaxconn": "1234" },
            dataDir: join(dir, "tuning"),
          },
          { type: "bandwidth", capabilities: { bandwidth: true } },
        ],
      },
      {
        hostNetns: host.name,
        cacheDir: join(dir, "cni"),
        cniPath: [binDir, referenceDir],
        // portmap 1.1.1 checks (CHECK) ip6tables rules for every attachment once ip6tables is usable,
        // even IPv4-only ones it never gave v6 rules (containernetworking/plugins#819, fixed upstream
        // later): give it a PATH with iptables but no ip6tables, so it manages IPv4 only.
        pluginEnv: { portmap: { PATH: `${v4Bin}:/usr/bin:/bin` } },
      },
    );
  });

  after(async () => {
    try {
      await server?.stop();
    } finally {
      for (const ns of made.splice(0).reverse()) deleteTestNetns(ns);
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  it("ADD threads prevResult through every plugin, each accepts ours, and the final result is cached", async () => {
    const { json, steps } = await chain.add(att);
    assert.deepEqual(
      steps.map((s) => s.type),
      ["quantum", "portmap", "tuning", "bandwidth"],
    );
    // Each plugin after ours got the previous plugin's result, in the list's version.
    for (let i = 1; i < steps.length; i++) {
      const prev = steps[i]!.stdin["prevResult"] as Record<string, unknown>;
      assert.equal(prev["cniVersion"], "1.0.0", `${steps[i]!.type} got a 1.0.0 prevResult`);
      assert.deepEqual(
        prev["ips"],
        JSON.parse(steps[i - 1]!.run.stdout)["ips"],
        `${steps[i]!.type} got its predecessor's ips`,
      );
    }
    assert.deepEqual(steps[1]!.stdin["runtimeConfig"], { portMappings: att.capabilityArgs.portMappings });
    assert.deepEqual(steps[2]!.stdin["runtimeConfig"], { mac: att.capabilityArgs.mac });
    assert.deepEqual(steps[3]!.stdin["runtimeConfig"], { bandwidth: att.capabilityArgs.bandwidth });
    assert.equal(steps[0]!.stdin["runtimeConfig"], undefined, "quantum declares no capability here");

    // Final result: ours, with tuning's MAC on the container interface; ips untouched.
    // bandwidth appends its ifb (no sandbox) to ours.
    const ifaces = json["interfaces"] as Iface[];
    assert.deepEqual(
      ifaces.map((i) => i.name),
      [bridge, ifaces[1]!.name, "eth0", ifaces[3]!.name],
    );
    assert.match(ifaces[3]!.name, /^bwp/);
    assert.equal(ifaces[2]!.sandbox, ctr.path);
    assert.equal(ifaces[2]!.mac, att.capabilityArgs.mac);
    assert.deepEqual(json["ips"], [{ interface: 2, address: "10.81.0.2/24", gateway: "10.81.0.1" }]);
    const cached = chain.readCache(att);
    assert.ok(cached, "the final result is cached");
    assert.deepEqual(cached.result, json);

    // What each plugin did, seen by the kernel.
    const link = ipJson<{ address: string }[]>(ctr.name, ["link", "show", "dev", "eth0"]);
    assert.equal(link[0]?.address, att.capabilityArgs.mac, "tuning set the MAC");
    assert.equal(nsExec(ctr.name, "cat", ["/proc/sys/net/core/somaxconn"]).trim(), "1234", "tuning set the sysctl");
    const hostVeth = ifaces[1]!.name;
    const qdisc = ipJson<{ kind: string }[]>(host.name, ["link", "show", "dev", hostVeth]);
    assert.ok(qdisc.length === 1);
    const tc = nsExec(host.name, "tc", ["qdisc", "show", "dev", hostVeth]);
    assert.match(tc, /qdisc tbf/, `bandwidth shaped the host veth:\n${tc}`);
    const ifbs = ipJson<{ ifname: string; linkinfo?: { info_kind?: string } }[]>(host.name, ["-d", "link", "show"])
      .filter((l) => l.linkinfo?.info_kind === "ifb")
      .map((l) => l.ifname);
    assert.equal(ifbs.length, 1, "bandwidth made one ifb for egress");
    const nat = iptablesSave(host.name);
    assert.match(
      nat,
      new RegExp(`-A CNI-DN-\\S+ .*--dport ${HOST_PORT} -j DNAT --to-destination 10.81.0.2:${CONTAINER_PORT}`),
      nat,
    );
  });

  it("CHECK passes for every plugin with the cached result", async () => {
    const steps = await chain.check(att);
    assert.deepEqual(
      steps.map((s) => [s.type, s.run.code]),
      [
        ["quantum", 0],
        ["portmap", 0],
        ["tuning", 0],
        ["bandwidth", 0],
      ],
    );
    const cached = chain.readCache(att)!.result;
    for (const s of steps) {
      const prev = s.stdin["prevResult"] as Record<string, unknown>;
      assert.deepEqual(
        [prev["interfaces"], prev["ips"]],
        [cached["interfaces"], cached["ips"]],
        `${s.type}: cached result`,
      );
    }
  });

  it("the port mapping reaches the container: from a routed client netns, from the host, from localhost", async () => {
    server = await PeerServer.start(ctr.path, CONTAINER_PORT);
    // Direct, without the mapping: the container answers on its own address.
    assert.equal(await tcpProbe(host.name, "10.81.0.2", CONTAINER_PORT), "from 10.81.0.1");
    // An outside client: PREROUTING DNAT on the host; the container sees the client's address.
    assert.equal(await tcpProbe(ext.name, "192.168.231.1", HOST_PORT), "from 192.168.231.2");
    // The host itself, to one of its own addresses: OUTPUT DNAT, the source stays that address.
    assert.equal(await tcpProbe(host.name, "192.168.231.1", HOST_PORT), "from 192.168.231.1");
    // The host to 127.0.0.1: needs portmap's snat (route_localnet + masquerade).
    assert.equal(await tcpProbe(host.name, "127.0.0.1", HOST_PORT), "from 10.81.0.1");
    // A wrong port gets nothing.
    assert.equal(await tcpProbe(ext.name, "192.168.231.1", HOST_PORT + 1, 1), "");
    await server.stop();
  });

  it("DEL runs in reverse with the cached result and leaves nothing behind", async () => {
    const steps = await chain.del(att);
    assert.deepEqual(
      steps.map((s) => [s.type, s.run.code]),
      [
        ["bandwidth", 0],
        ["tuning", 0],
        ["portmap", 0],
        ["quantum", 0],
      ],
    );
    const cachedResult = steps[0]!.stdin["prevResult"];
    for (const s of steps) assert.deepEqual(s.stdin["prevResult"], cachedResult, `${s.type}: the same prevResult`);
    assert.equal(chain.readCache(att), undefined, "the cache entry is gone");

    // Host: only lo, the bridge and the client's veth remain (no container veth, no ifb).
    const links = ipJson<{ ifname: string; linkinfo?: { info_kind?: string } }[]>(host.name, ["-d", "link", "show"]);
    assert.deepEqual(
      links.filter((l) => l.ifname !== "lo" && l.ifname !== bridge && !l.ifname.startsWith("qx-")).map((l) => l.ifname),
      [],
    );
    // portmap's per-container chain and rules are gone.
    const nat = iptablesSave(host.name);
    assert.doesNotMatch(nat, /CNI-DN-/, `portmap left rules:\n${nat}`);
    assert.doesNotMatch(nat, new RegExp(`--dport ${HOST_PORT}\\b`));
    // Our store: no reservation, no attachment; our nft sets hold no address.
    const store = SqliteStore.open(join(dir, "quantum"));
    try {
      assert.deepEqual(store.listReservations(), []);
      assert.deepEqual(store.listAttachments(), []);
    } finally {
      store.close();
    }
    const nft = nsExec(host.name, "nft", ["list", "table", "inet", "quantum"]);
    assert.doesNotMatch(nft, /10\.81\.0\.2/, `nft still names the container:\n${nft}`);
    // tuning's saved original state is gone.
    const tuningDir = join(dir, "tuning");
    assert.deepEqual(existsSync(tuningDir) ? readdirSync(tuningDir) : [], []);

    // A second DEL (no cache entry, no prevResult) is fine for every plugin.
    const again = await chain.del(att);
    assert.ok(again.every((s) => s.run.code === 0 && s.stdin["prevResult"] === undefined));
  });
});
