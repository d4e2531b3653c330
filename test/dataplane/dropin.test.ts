/**
 * bin/quantum as a drop-in for the reference `bridge` plugin: a conflist entry written for
 * `bridge` (keys `bridge`, `isGateway`, `ipMasq`, an `ipam` section) with `"type": "quantum"`, run
 * exactly as a runtime does (runPlugin, inside a private "host" netns), IPAM delegated to the
 * reference host-local / static plugins from /usr/lib/cni. Oracles: `ip -j` in the namespaces and
 * host-local's files on disk.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SqliteStore } from "../../src/store/index.js";
import { expectOk, type PluginCall, type PluginRun, runPlugin } from "../helpers/cni-runner.js";
import { ipIn, ipJson, nsExec, TestNamespaces, type TestNetns, uniqueName } from "../helpers/netns.js";

const isRoot = process.getuid?.() === 0;
const haveReference = existsSync("/usr/lib/cni/host-local") && existsSync("/usr/lib/cni/static");
const skip = !isRoot
  ? "needs root (network namespaces)"
  : !haveReference
    ? "needs containernetworking-plugins in /usr/lib/cni"
    : false;

interface Lab {
  host: TestNetns;
  ctr: TestNetns[];
  dir: string;
  /** Our store (top-level `dataDir`), inside the temp dir. */
  quantumDir: string;
  /** host-local's `dataDir`, inside the temp dir. */
  hostLocalDir: string;
  net: string;
  bridge: string;
  /** Second octet of this lab's 10.N.0.0/24 subnet. */
  octet: number;
}

async function withLab(containers: number, fn: (lab: Lab) => Promise<void>): Promise<void> {
  const ns = TestNamespaces.create(1 + containers, "qdrop");
  let dir: string | undefined;
  try {
    dir = mkdtempSync(join(tmpdir(), "qdrop-"));
    const [host, ...ctr] = ns.list as [TestNetns, ...TestNetns[]];
    await fn({
      host,
      ctr,
      dir,
      quantumDir: join(dir, "quantum"),
      hostLocalDir: join(dir, "host-local"),
      net: uniqueName("qdropnet"),
      bridge: uniqueName("qd"),
      octet: 100 + ((randomBytes(1)[0] ?? 0) % 100),
    });
  } finally {
    try {
      ns.cleanup();
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }
}

const subnet = (lab: Lab) => `10.${lab.octet}.0.0/24`;
const gateway = (lab: Lab) => `10.${lab.octet}.0.1`;

/** The conflist entry as written for the reference bridge plugin, with type quantum. */
function bridgeConfig(lab: Lab, cniVersion: string, ipam?: Record<string, unknown>): Record<string, unknown> {
  return {
    cniVersion,
    name: lab.net,
    type: "quantum",
    bridge: lab.bridge,
    isGateway: true,
    ipMasq: true,
    dataDir: lab.quantumDir,
    ipam: ipam ?? {
      type: "host-local",
      ranges: [[{ subnet: subnet(lab) }]],
      routes: [{ dst: "0.0.0.0/0" }],
      dataDir: lab.hostLocalDir,
    },
  };
}

function cni(lab: Lab, ctr: TestNetns, c: Partial<PluginCall> & Pick<PluginCall, "command" | "config">) {
  return runPlugin({ hostNetns: lab.host.name, containerId: `c-${ctr.name}`, netns: ctr.path, ifname: "eth0", ...c });
}

interface ResultIface {
  name: string;
  mac?: string;
  sandbox?: string;
}
interface ResultIp {
  version?: string;
  address: string;
  gateway?: string;
  interface?: number;
}

function linkNames(ns: TestNetns): string[] {
  return ipJson<{ ifname: string }[]>(ns.name, ["link", "show"]).map((l) => l.ifname);
}

function addresses(ns: TestNetns, dev: string): string[] {
  return ipJson<{ addr_info: { family: string; local: string; prefixlen: number }[] }[]>(ns.name, [
    "addr",
    "show",
    "dev",
    dev,
  ]).flatMap((l) => l.addr_info.filter((a) => a.family === "inet").map((a) => `${a.local}/${a.prefixlen}`));
}

/** The IPv4 addresses host-local holds a file for in the lab's network directory. */
function hostLocalReservations(lab: Lab): string[] {
  const dir = join(lab.hostLocalDir, lab.net);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
}

function storeState(lab: Lab): { reservations: number; attachments: string[] } {
  const store = SqliteStore.open(lab.quantumDir);
  try {
    return {
      reservations: store.listReservations(lab.net).length,
      attachments: store.listAttachments(lab.net).map((a) => `${a.containerId}/${a.ifname}`),
    };
  } finally {
    store.close();
  }
}

function expectNoOutput(run: PluginRun, what: string): void {
  assert.equal(run.code, 0, `${what} failed: ${run.stdout} ${run.stderr}`);
  assert.equal(run.stdout.trim(), "", `${what} must print nothing`);
}

describe("drop-in for the reference bridge plugin (ipam delegated)", { skip }, () => {
  for (const version of ["0.3.1", "0.4.0", "1.0.0"]) {
    it(`[${version}] host-local: ADD result in ${version}, CHECK, DEL, repeat DEL`, async () => {
      await withLab(1, async (lab) => {
        const ctr = lab.ctr[0]!;
        const config = bridgeConfig(lab, version);

        // ADD
        const add = expectOk(await cni(lab, ctr, { command: "ADD", config }), "ADD");
        const result = add.json!;
        assert.equal(result["cniVersion"], version);
        const ifaces = result["interfaces"] as ResultIface[];
        assert.equal(ifaces.length, 3, `interfaces: ${JSON.stringify(ifaces)}`);
        const [bridge, veth, eth0] = ifaces as [ResultIface, ResultIface, ResultIface];
        assert.equal(bridge.name, lab.bridge);
        assert.equal(bridge.sandbox, undefined);
        assert.notEqual(veth.name, lab.bridge);
        assert.equal(veth.sandbox, undefined);
        assert.equal(eth0.name, "eth0");
        assert.equal(eth0.sandbox, ctr.path);
        const ips = result["ips"] as ResultIp[];
        assert.equal(ips.length, 1, `ips: ${JSON.stringify(ips)}`);
        const ip = ips[0]!;
        assert.equal(ip.address, `10.${lab.octet}.0.2/24`);
        assert.equal(ip.interface, 2);
        assert.equal(ip.gateway, gateway(lab));
        if (version === "1.0.0") assert.equal(ip.version, undefined, "1.0.0 has no ips[].version");
        else assert.equal(ip.version, "4", `${version} has ips[].version`);
        const routes = result["routes"] as { dst: string }[];
        assert.ok(
          routes.some((r) => r.dst === "0.0.0.0/0"),
          `routes from the IPAM section: ${JSON.stringify(routes)}`,
        );

        // The kernel agrees.
        assert.deepEqual(addresses(ctr, "eth0"), [ip.address], "the address is on eth0 in the container");
        assert.ok(addresses(lab.host, lab.bridge).includes(`${gateway(lab)}/24`), "isGateway: gateway on the bridge");
        const hostVeth = ipJson<{ ifname: string; master?: string }[]>(lab.host.name, ["link", "show", veth.name]);
        assert.equal(hostVeth[0]?.master, lab.bridge, "the host veth is a port of the bridge");
        // host-local's own record of the lease.
        const lease = join(lab.hostLocalDir, lab.net, `10.${lab.octet}.0.2`);
        assert.ok(existsSync(lease), `host-local file ${lease}`);
        assert.equal(readFileSync(lease, "utf8"), `c-${ctr.name}\r\neth0`);

        // CHECK with prevResult = the ADD result.
        const check = await cni(lab, ctr, { command: "CHECK", config: { ...config, prevResult: result } });
        if (version === "0.3.1") {
          assert.notEqual(check.code, 0, "CHECK needs 0.4.0: must fail as the reference");
          assert.equal(check.json?.["code"], 1, `CHECK at 0.3.1: ${check.stdout}`);
        } else {
          expectNoOutput(check, "CHECK");
        }

        // DEL (libcni sends prevResult from 0.4.0 on), then again.
        const delConfig = version === "0.3.1" ? config : { ...config, prevResult: result };
        expectNoOutput(await cni(lab, ctr, { command: "DEL", config: delConfig }), "DEL");
        assert.ok(!existsSync(lease), "host-local file removed by DEL");
        assert.deepEqual(hostLocalReservations(lab), []);
        assert.ok(!linkNames(lab.host).includes(veth.name), "host veth gone");
        assert.ok(!linkNames(ctr).includes("eth0"), "eth0 gone from the container");
        assert.deepEqual(storeState(lab), { reservations: 0, attachments: [] });
        expectNoOutput(await cni(lab, ctr, { command: "DEL", config: delConfig }), "repeat DEL");
      });
    });
  }

  it("[1.0.0] static IPAM: ADD gives the configured address, DEL removes it", async () => {
    await withLab(1, async (lab) => {
      const ctr = lab.ctr[0]!;
      const third = (randomBytes(1)[0] ?? 0) % 200;
      const address = `10.${lab.octet}.${third}.5/24`;
      const gw = `10.${lab.octet}.${third}.1`;
      const config = bridgeConfig(lab, "1.0.0", { type: "static", addresses: [{ address, gateway: gw }] });

      const add = expectOk(await cni(lab, ctr, { command: "ADD", config }), "ADD");
      const result = add.json!;
      assert.equal(result["cniVersion"], "1.0.0");
      const ips = result["ips"] as ResultIp[];
      assert.equal(ips.length, 1);
      assert.equal(ips[0]?.address, address);
      assert.equal(ips[0]?.gateway, gw);
      assert.equal(ips[0]?.interface, 2);
      assert.deepEqual(addresses(ctr, "eth0"), [address]);
      assert.ok(addresses(lab.host, lab.bridge).includes(`${gw}/24`), "isGateway: gateway on the bridge");
      const veth = (result["interfaces"] as ResultIface[])[1]!.name;

      expectNoOutput(await cni(lab, ctr, { command: "DEL", config: { ...config, prevResult: result } }), "DEL");
      assert.ok(!linkNames(ctr).includes("eth0"), "eth0 gone");
      assert.ok(!linkNames(lab.host).includes(veth), "host veth gone");
      assert.deepEqual(storeState(lab), { reservations: 0, attachments: [] });
      expectNoOutput(await cni(lab, ctr, { command: "DEL", config }), "repeat DEL");
    });
  });

  it('[1.0.0] "ipam": {} is layer 2 only: the container is on the bridge with no address', async () => {
    await withLab(1, async (lab) => {
      const ctr = lab.ctr[0]!;
      const config = bridgeConfig(lab, "1.0.0", {});
      const add = expectOk(await cni(lab, ctr, { command: "ADD", config }), "ADD");
      const result = add.json!;
      assert.equal(result["ips"], undefined, "no addresses in the result");
      const ifaces = result["interfaces"] as ResultIface[];
      assert.equal(ifaces[2]?.name, "eth0");
      assert.deepEqual(addresses(ctr, "eth0"), [], "no global address on eth0");
      assert.equal(
        ipJson<{ master?: string }[]>(lab.host.name, ["link", "show", "dev", ifaces[1]!.name])[0]?.master,
        lab.bridge,
      );
      expectNoOutput(await cni(lab, ctr, { command: "DEL", config: { ...config, prevResult: result } }), "DEL");
      assert.ok(!linkNames(ctr).includes("eth0"), "eth0 gone");
      assert.deepEqual(storeState(lab), { reservations: 0, attachments: [] });
    });
  });

  it("[1.0.0] a failure after IPAM succeeded releases the IPAM address (ifname already in the netns)", async () => {
    await withLab(1, async (lab) => {
      const ctr = lab.ctr[0]!;
      ipIn(ctr.name, ["link", "add", "eth0", "type", "veth", "peer", "name", "qdrop-peer"]);
      const hostLinks = linkNames(lab.host).sort();
      const ctrLinks = linkNames(ctr).sort();

      const add = await cni(lab, ctr, { command: "ADD", config: bridgeConfig(lab, "1.0.0") });
      assert.notEqual(add.code, 0, `ADD must fail: ${add.stdout}`);
      assert.equal(typeof add.json?.["code"], "number", `CNI error JSON: ${add.stdout}`);
      assert.match(String(add.json?.["msg"]), /eth0/, "the message names the interface");

      // host-local did allocate (its cursor moved) and was told to release it.
      const cursor = join(lab.hostLocalDir, lab.net, "last_reserved_ip.0");
      assert.ok(existsSync(cursor), "host-local ran (it wrote last_reserved_ip.0)");
      assert.equal(readFileSync(cursor, "utf8").trim(), `10.${lab.octet}.0.2`);
      assert.deepEqual(hostLocalReservations(lab), [], "host-local holds no reservation afterwards");
      assert.deepEqual(storeState(lab), { reservations: 0, attachments: [] });
      assert.deepEqual(linkNames(lab.host).sort(), hostLinks, "no new links in the host netns");
      assert.deepEqual(linkNames(ctr).sort(), ctrLinks, "the container's links are untouched");
      assert.deepEqual(addresses(ctr, "eth0"), [], "the pre-existing eth0 got no address");
    });
  });

  it("[1.0.0] two containers on the drop-in network ping each other", async () => {
    await withLab(2, async (lab) => {
      const [a, b] = lab.ctr as [TestNetns, TestNetns];
      const config = bridgeConfig(lab, "1.0.0");
      const addA = expectOk(await cni(lab, a, { command: "ADD", config }), "ADD a");
      const addB = expectOk(await cni(lab, b, { command: "ADD", config }), "ADD b");
      const ipA = (addA.json!["ips"] as ResultIp[])[0]!.address.split("/")[0]!;
      const ipB = (addB.json!["ips"] as ResultIp[])[0]!.address.split("/")[0]!;
      assert.notEqual(ipA, ipB);
      assert.deepEqual(hostLocalReservations(lab).sort(), [ipA, ipB].sort());

      nsExec(a.name, "ping", ["-c", "2", "-W", "2", ipB]);
      nsExec(b.name, "ping", ["-c", "2", "-W", "2", ipA]);

      expectNoOutput(await cni(lab, a, { command: "DEL", config: { ...config, prevResult: addA.json } }), "DEL a");
      expectNoOutput(await cni(lab, b, { command: "DEL", config: { ...config, prevResult: addB.json } }), "DEL b");
      assert.deepEqual(hostLocalReservations(lab), []);
      assert.deepEqual(storeState(lab), { reservations: 0, attachments: [] });
    });
  });
});
