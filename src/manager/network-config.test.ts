import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CniError, parsePluginConfig } from "../cni/index.js";
import { IsolationLevel, NetworkDriverType } from "../network/index.js";
import { parseQuantumConfig, type QuantumNetConf } from "./network-config.js";

const BASE = { cniVersion: "1.1.0", name: "tnet", type: "quantum" };

/** The plugin's full parse: the protocol's fields, then quantum's keys. */
function parse(input: Record<string, unknown>): QuantumNetConf {
  return parseQuantumConfig(parsePluginConfig(input));
}

/** Asserts a CniError with `code` whose msg matches `msg`. */
function rejects(input: Record<string, unknown>, code: number, msg: RegExp): void {
  assert.throws(
    () => parse(input),
    (e: unknown) => {
      assert.ok(e instanceof CniError, String(e));
      assert.equal(e.code, code, e.msg);
      assert.match(e.msg, msg);
      return true;
    },
  );
}

describe("parseQuantumConfig: defaults and normalization", () => {
  test("a minimal config gets the defaults of the network model", () => {
    const c = parse({ cniVersion: "1.0.0", name: "tnet" });
    assert.deepEqual(c, {
      layer2Only: false,
      spec: {
        name: "tnet",
        id: c.spec.id,
        driver: NetworkDriverType.Bridge,
        isolation: IsolationLevel.None,
        subnets: [],
        routes: [],
        bridge: "qbr-tnet",
        ipMasq: false,
        hairpinMode: false,
        promiscMode: false,
        isGateway: true,
        isDefaultGateway: true,
        forceAddress: false,
      },
    });
    assert.match(c.spec.id, /^[0-9a-f]{8}$/);
  });

  test("a full config parses; booleans accept strings; isDefaultGateway implies isGateway", () => {
    const full = {
      ...BASE,
      driver: "macvlan",
      master: "eth0",
      macvlanMode: "bridge",
      subnet: "10.22.0.0/24",
      gateway: "10.22.0.1",
      routes: [{ dst: "0.0.0.0/0", gw: "10.22.0.1", priority: 10, table: 100, scope: 0, mtu: 1400, advmss: 1360 }],
      dns: { nameservers: ["10.22.0.1"], domain: "x", search: ["a"], options: ["ndots:2"] },
      bridge: "qbr0",
      mtu: 1450,
      ipMasq: "true",
      hairpinMode: "false",
      isDefaultGateway: true,
      forceAddress: false,
      isolation: "strict",
      dataDir: "/var/lib/quantum",
      socketPath: "/run/quantum/quantum.sock",
      ipam: { type: "host-local", ranges: [[{ subnet: "10.22.0.0/24" }]] },
    };
    const c = parse(full);
    assert.equal(c.spec.driver, "macvlan");
    assert.equal(c.spec.master, "eth0");
    assert.equal(c.spec.ipMasq, true);
    assert.equal(c.spec.hairpinMode, false);
    assert.equal(c.spec.isGateway, true);
    assert.equal(c.spec.isolation, "strict");
    assert.equal(c.spec.mtu, 1450);
    assert.equal(c.spec.bridge, "qbr0");
    assert.equal(c.spec.routes[0]?.priority, 10);
    assert.equal(c.ipamType, "host-local");
    assert.equal(c.dataDir, "/var/lib/quantum");
    assert.equal(c.socketPath, "/run/quantum/quantum.sock");
    // Delegated IPAM: the addresses are the IPAM plugin's; without it the subnet is ours.
    assert.deepEqual(c.spec.subnets, []);
    const { ipam: _ipam, ...native } = full;
    assert.deepEqual(parse(native).spec.subnets, [{ subnet: "10.22.0.0/24", gateway: "10.22.0.1" }]);
  });

  test("subnets: one IPv4 and one IPv6", () => {
    assert.deepEqual(
      parse({ ...BASE, subnets: ["10.0.0.0/24", "fd00::/64"] }).spec.subnets.map((s) => s.subnet),
      ["10.0.0.0/24", "fd00::/64"],
    );
  });

  test('drop-in: the bridge defaults to "cni0" and the gateway flags are the config\'s', () => {
    const c = parse({ ...BASE, ipam: { type: "host-local" } });
    assert.equal(c.spec.bridge, "cni0");
    assert.equal(c.spec.isGateway, false);
    assert.equal(c.spec.isDefaultGateway, false);
    assert.equal(parse({ ...BASE, ipam: {} }).layer2Only, true);
  });
});

describe("parseQuantumConfig: each message names the field and the value (code 7)", () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["subnet not a CIDR", { subnet: "10.0.0.0/33" }, /^invalid config field "subnet": "10.0.0.0\/33" is not a CIDR$/],
    ["subnet with host bits", { subnet: "10.0.0.5/24" }, /"subnet": "10.0.0.5\/24" has host bits set/],
    [
      "subnet and subnets",
      { subnet: "10.0.0.0/24", subnets: ["fd00::/64"] },
      /"subnets": \["fd00::\/64"\] cannot be combined with "subnet"/,
    ],
    ["two IPv4 subnets", { subnets: ["10.0.0.0/24", "10.1.0.0/24"] }, /"subnets": .* more than one IPv4 subnet/],
    ["two IPv6 subnets", { subnets: ["fd00::/64", "fd01::/64"] }, /more than one IPv6 subnet/],
    ["subnets entry", { subnets: ["nope"] }, /"subnets\[0\]": "nope" is not a CIDR/],
    ["gateway not an IP", { gateway: "10.0.0.300" }, /"gateway": "10.0.0.300" is not an IP address/],
    [
      "gateway outside subnet",
      { subnet: "10.0.0.0/24", gateway: "10.0.1.1" },
      /"gateway": "10.0.1.1" is outside subnet "10.0.0.0\/24"/,
    ],
    [
      "gateway of another family",
      { subnet: "10.0.0.0/24", gateway: "fd00::1" },
      /"gateway": "fd00::1" has no subnet of its address family/,
    ],
    ["driver", { driver: "ipvlan" }, /"driver": "ipvlan" must be one of "bridge", "macvlan", "overlay"/],
    ["isolation", { isolation: "full" }, /"isolation": "full" must be one of "none", "internal", "strict"/],
    ["macvlanMode", { macvlanMode: "x" }, /"macvlanMode": "x" must be one of/],
    [
      "bridge too long",
      { bridge: "a-very-long-bridge" },
      /"bridge": "a-very-long-bridge" is not a valid interface name: it is too long/,
    ],
    ["bridge with colon", { bridge: "br:0" }, /"bridge": "br:0" is not a valid interface name/],
    ["master with slash", { master: "eth/0" }, /"master": "eth\/0" is not a valid interface name/],
    ["mtu too small", { mtu: 67 }, /"mtu": 67 must be at least 68/],
    ["mtu too big", { mtu: 65536 }, /"mtu": 65536 must be at most 65535/],
    ["mtu as string", { mtu: "1500" }, /"mtu": "1500" must be a number/],
    ["mtu fraction", { mtu: 1500.5 }, /"mtu": 1500.5 must be an integer|Expected integer/],
    ["boolean junk", { ipMasq: "yes" }, /"ipMasq": "yes" must be a boolean or "true"\/"false"/],
    ["boolean number", { isGateway: 1 }, /"isGateway": 1 must be a boolean/],
    [
      "hairpin + promisc",
      { hairpinMode: true, promiscMode: "true" },
      /"promiscMode": "true" cannot be set together with hairpinMode/,
    ],
    ["route dst", { routes: [{ dst: "10.0.0.0" }] }, /"routes\[0\].dst": "10.0.0.0" is not a CIDR/],
    ["route missing dst", { routes: [{ gw: "10.0.0.1" }] }, /missing config field "routes\[0\].dst"/],
    ["route gw", { routes: [{ dst: "0.0.0.0/0", gw: "x" }] }, /"routes\[0\].gw": "x" is not an IP address/],
    [
      "route gw family",
      { routes: [{ dst: "0.0.0.0/0", gw: "fd00::1" }] },
      /"routes\[0\].gw": "fd00::1" is not in the address family/,
    ],
    ["route priority", { routes: [{ dst: "0.0.0.0/0", priority: -1 }] }, /"routes\[0\].priority": -1/],
    ["dataDir empty", { dataDir: "" }, /"dataDir": "" is not an absolute path/],
  ];
  for (const [what, extra, msg] of cases) {
    test(what, () => rejects({ ...BASE, ...extra }, 7, msg));
  }
});

describe("parseQuantumConfig: reference bridge features quantum does not implement (code 2)", () => {
  for (const [key, value] of [
    ["vlan", 2],
    ["vlanTrunk", [{ id: 101 }]],
    ["macspoofchk", true],
    ["disableContainerInterface", true],
    ["enabledad", "true"],
    ["portIsolation", true],
  ] as const) {
    test(`${key}: ${JSON.stringify(value)} is refused, naming the key and the value`, () => {
      rejects(
        { ...BASE, [key]: value },
        2,
        new RegExp(`"${key}": ${JSON.stringify(value).replace(/[[\]{}]/g, "\\$&")}`),
      );
    });
  }

  test("their default values are accepted", () => {
    const c = parse({ ...BASE, vlan: 0, vlanTrunk: [], macspoofchk: false, enabledad: false });
    assert.equal(c.spec.name, "tnet");
  });
});
