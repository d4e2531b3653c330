/**
 * The reference bridge plugin's own sample configs with `"type": "quantum"`, run through the
 * libcni-like driver: ADD, CHECK, DEL (and a repeated DEL). Sources: the bridge plugin's docs
 * (cni.dev/plugins/main/bridge: the example and the L2-only example), its tests
 * (plugins/main/bridge/bridge_test.go: mtu 5000 + isDefaultGateway with a host-local subnet or dual-stack
 * ranges), the CNI spec's example list (the "dbnet" bridge entry with an unknown key, routes and dns),
 * and the documented options (isGateway, forceAddress, promiscMode, hairpinMode).
 * Each config is kept as published; added are only what keeps the machine untouched: our `dataDir`
 * and host-local's `dataDir` in the test's temp dir. Each sample gets its own private host netns,
 * so the published bridge names (cni0, mynet0, bridge0) are used as they are.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SqliteStore } from "../../src/store/index.js";
import { binDir, referenceDir } from "../helpers/cni-runner.js";
import { createTestNetns, deleteTestNetns, ipJson, nsExec, type TestNetns } from "../helpers/netns.js";
import { LibcniDriver } from "./libcni-driver.js";
import { requireReferencePlugins, requireRoot } from "./preflight.js";

interface Sample {
  title: string;
  /** The published config; `type` becomes quantum, dataDirs are added. */
  config: Record<string, unknown>;
  /** Expected container addresses (CIDR), in result order. */
  ips: string[];
  /** Gateway addresses the bridge must hold. */
  bridgeAddrs: string[];
  defaultVia?: string;
  mtu?: number;
  hairpin?: boolean;
  promisc?: boolean;
  masquerade?: boolean;
  dns?: Record<string, unknown>;
}

const SAMPLES: Sample[] = [
  {
    title: "cni.dev example: isDefaultGateway, forceAddress false, ipMasq, hairpinMode, host-local subnet",
    config: {
      cniVersion: "1.0.0",
      name: "mynet",
      type: "bridge",
      bridge: "mynet0",
      isDefaultGateway: true,
      forceAddress: false,
      ipMasq: true,
      hairpinMode: true,
      ipam: { type: "host-local", subnet: "10.10.0.0/16" },
    },
    ips: ["10.10.0.2/16"],
    bridgeAddrs: ["10.10.0.1/16"],
    defaultVia: "10.10.0.1",
    hairpin: true,
    masquerade: true,
  },
  {
    title: "bridge_test.go: mtu 5000, isDefaultGateway, host-local subnet and gateway (0.4.0)",
    config: {
      cniVersion: "0.4.0",
      name: "testConfig",
      type: "bridge",
      mtu: 5000,
      bridge: "bridge0",
      isDefaultGateway: true,
      ipam: { type: "host-local", subnet: "10.1.2.0/24", gateway: "10.1.2.1" },
    },
    ips: ["10.1.2.2/24"],
    bridgeAddrs: ["10.1.2.1/24"],
    defaultVia: "10.1.2.1",
    mtu: 5000,
  },
  {
    title: "bridge_test.go: dual-stack host-local ranges, isDefaultGateway, mtu 5000",
    config: {
      cniVersion: "1.0.0",
      name: "testConfig",
      type: "bridge",
      mtu: 5000,
      bridge: "bridge0",
      isDefaultGateway: true,
      ipam: {
        type: "host-local",
        ranges: [[{ subnet: "10.1.2.0/24" }], [{ subnet: "2001:db8:1::/64" }]],
      },
    },
    ips: ["10.1.2.2/24", "2001:db8:1::2/64"],
    bridgeAddrs: ["10.1.2.1/24", "2001:db8:1::1/64"],
    defaultVia: "10.1.2.1",
    mtu: 5000,
  },
  {
    title: "CNI spec example list: bridge cni0 with an unknown key, host-local gateway and routes, dns",
    config: {
      cniVersion: "1.0.0",
      name: "dbnet",
      type: "bridge",
      bridge: "cni0",
      keyA: ["some more", "plugin specific", "configuration"],
      ipam: {
        type: "host-local",
        subnet: "10.1.0.0/16",
        gateway: "10.1.0.1",
        routes: [{ dst: "0.0.0.0/0" }],
      },
      dns: { nameservers: ["10.1.0.1"] },
    },
    ips: ["10.1.0.2/16"],
    // The reference bridge defaults isGateway to false: no address on the bridge.
    bridgeAddrs: [],
    defaultVia: "10.1.0.1",
    dns: { nameservers: ["10.1.0.1"] },
  },
  {
    title: "documented options: isGateway, ipMasq, forceAddress, promiscMode, hairpinMode false",
    config: {
      cniVersion: "1.0.0",
      name: "optnet",
      type: "bridge",
      bridge: "optbr0",
      isGateway: true,
      ipMasq: true,
      forceAddress: true,
      promiscMode: true,
      hairpinMode: false,
      ipam: { type: "host-local", ranges: [[{ subnet: "192.168.77.0/24", rangeStart: "192.168.77.100" }]] },
    },
    ips: ["192.168.77.100/24"],
    bridgeAddrs: ["192.168.77.1/24"],
    hairpin: false,
    promisc: true,
    masquerade: true,
  },
];

interface LinkInfo {
  ifname: string;
  mtu: number;
  flags: string[];
  linkinfo?: { info_kind?: string; info_slave_data?: { hairpin?: boolean } };
}

describe("the reference bridge plugin's sample configs with type quantum (ADD/CHECK/DEL via the libcni-like driver)", () => {
  let dir: string;
  const made: TestNetns[] = [];
  before(() => {
    requireRoot();
    requireReferencePlugins(["host-local"]);
    dir = mkdtempSync(join(tmpdir(), "qrt-brs-"));
  });
  after(() => {
    try {
      for (const ns of made.splice(0).reverse()) deleteTestNetns(ns);
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  SAMPLES.forEach((sample, n) => {
    it(sample.title, async () => {
      const host = createTestNetns("qrth");
      made.push(host);
      const ctr = createTestNetns("qrtc");
      made.push(ctr);
      const quantumDir = join(dir, `q${n}`);
      const hostLocalDir = join(dir, `hl${n}`);
      const { cniVersion, name, ...plugin } = sample.config;
      const ipam = plugin["ipam"] as Record<string, unknown>;
      // A legacy single-plugin config, wrapped into a list as libcni does (ConfListFromConf).
      const chain = new LibcniDriver(
        {
          cniVersion,
          name,
          plugins: [{ ...plugin, type: "quantum", dataDir: quantumDir, ipam: { ...ipam, dataDir: hostLocalDir } }],
        },
        { hostNetns: host.name, cacheDir: join(dir, `cache${n}`), cniPath: [binDir, referenceDir] },
      );
      const att = { containerId: `sample-${n}`, netns: ctr.path, ifname: "eth0" };
      const bridge = plugin["bridge"] as string;

      const { json } = await chain.add(att);
      assert.equal(json["cniVersion"], cniVersion);
      const ifaces = json["interfaces"] as { name: string; sandbox?: string }[];
      assert.equal(ifaces[0]?.name, bridge);
      assert.match(ifaces[1]?.name ?? "", /^veth/);
      assert.deepEqual([ifaces[2]?.name, ifaces[2]?.sandbox], ["eth0", ctr.path]);
      const ips = (json["ips"] as { address: string }[]).map((i) => i.address);
      assert.deepEqual(ips, sample.ips);
      if (sample.dns) assert.deepEqual(json["dns"], sample.dns);

      // The kernel agrees.
      const ctrAddrs = ipJson<{ addr_info: { local: string; prefixlen: number; scope: string }[] }[]>(ctr.name, [
        "addr",
        "show",
        "dev",
        "eth0",
      ])[0]!.addr_info.filter((a) => a.scope === "global");
      assert.deepEqual(ctrAddrs.map((a) => `${a.local}/${a.prefixlen}`).sort(), [...sample.ips].sort());
      const brAddrs = ipJson<{ addr_info: { local: string; prefixlen: number; scope: string }[] }[]>(host.name, [
        "addr",
        "show",
        "dev",
        bridge,
      ])[0]!.addr_info.filter((a) => a.scope === "global");
      assert.deepEqual(brAddrs.map((a) => `${a.local}/${a.prefixlen}`).sort(), [...sample.bridgeAddrs].sort());
      if (sample.defaultVia) {
        const def = ipJson<{ gateway?: string }[]>(ctr.name, ["-4", "route", "show", "default"]);
        assert.equal(def[0]?.gateway, sample.defaultVia);
      }
      const eth0 = ipJson<LinkInfo[]>(ctr.name, ["link", "show", "dev", "eth0"])[0]!;
      if (sample.mtu) assert.equal(eth0.mtu, sample.mtu);
      const port = ipJson<LinkInfo[]>(host.name, ["-d", "link", "show", "dev", ifaces[1]!.name])[0]!;
      if (sample.hairpin !== undefined) assert.equal(port.linkinfo?.info_slave_data?.hairpin, sample.hairpin);
      const br = ipJson<LinkInfo[]>(host.name, ["link", "show", "dev", bridge])[0]!;
      if (sample.promisc) assert.ok(br.flags.includes("PROMISC"), `bridge flags ${br.flags.join(",")}`);
      if (sample.masquerade) {
        const nft = nsExec(host.name, "nft", ["list", "table", "inet", "quantum"]);
        assert.match(nft, /masquerade/, nft);
      }
      if (sample.bridgeAddrs.length > 0) {
        const gw = sample.bridgeAddrs[0]!.split("/")[0]!;
        nsExec(ctr.name, "ping", ["-c", "1", "-W", "2", gw]);
      }
      // host-local holds the reservation.
      assert.equal(reservedByHostLocal(hostLocalDir, name as string).length, sample.ips.length);

      const checks = await chain.check(att);
      assert.deepEqual(
        checks.map((s) => [s.run.code, s.run.stdout]),
        [[0, ""]],
      );

      const dels = await chain.del(att);
      assert.deepEqual(
        dels.map((s) => [s.run.code, s.run.stdout]),
        [[0, ""]],
      );
      assert.deepEqual(reservedByHostLocal(hostLocalDir, name as string), [], "host-local released");
      const links = ipJson<{ ifname: string }[]>(host.name, ["link", "show"]).map((l) => l.ifname);
      assert.deepEqual(
        links.filter((l) => l !== "lo" && l !== bridge),
        [],
      );
      assert.ok(!ipJson<{ ifname: string }[]>(ctr.name, ["link", "show"]).some((l) => l.ifname === "eth0"));
      const store = SqliteStore.open(quantumDir);
      try {
        assert.deepEqual(store.listAttachments(), []);
        assert.deepEqual(store.listReservations(), []);
      } finally {
        store.close();
      }
      // DEL again (no cache, no prevResult): still success.
      const again = await chain.del(att);
      assert.deepEqual(
        again.map((s) => s.run.code),
        [0],
      );
    });
  });
});

/** The addresses host-local holds a file for (`<dataDir>/<network>/<ip>`). */
function reservedByHostLocal(dataDir: string, network: string): string[] {
  const d = join(dataDir, network);
  if (!existsSync(d)) return [];
  return readdirSync(d).filter((f) => /^[0-9a-f.:]+$/.test(f) && (f.includes(".") || f.includes(":")));
}
