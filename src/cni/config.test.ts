import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeConfigJson, parsePluginConfig } from "./config.js";
import { CniError } from "./errors.js";
import { SUPPORTED_VERSIONS } from "./version.js";

const BASE = { cniVersion: "1.1.0", name: "tnet", type: "quantum" };

/** Asserts a CniError with `code` whose msg matches `msg`. */
function rejects(input: unknown, code: number, msg: RegExp): void {
  assert.throws(
    () => parsePluginConfig(input as Record<string, unknown>),
    (e: unknown) => {
      assert.ok(e instanceof CniError, String(e));
      assert.equal(e.code, code, e.msg);
      assert.match(e.msg, msg);
      return true;
    },
  );
}

describe("parsePluginConfig: header (skel order)", () => {
  test("vector 3: invalid JSON is code 6", () => rejects("{", 6, /error unmarshalling network config/));
  test("a JSON array is code 6", () => rejects("[]", 6, /not a JSON object/));
  test("vector 3: no name is code 7", () => rejects('{"cniVersion":"1.0.0","type":"x"}', 7, /missing network name/));
  test("a bad name is code 7 naming field and value", () => {
    rejects({ ...BASE, name: "bad name" }, 7, /invalid config field "name": "bad name" has invalid characters/);
  });
  test("a non-string cniVersion is code 6", () => rejects({ ...BASE, cniVersion: 1 }, 6, /"cniVersion": 1/));
  test("vector 3: an unsupported cniVersion is code 1", () =>
    rejects({ ...BASE, cniVersion: "9.0.0" }, 1, /incompatible/));
  test("a missing cniVersion means 0.1.0", () => {
    assert.equal(parsePluginConfig({ name: "n" }).cniVersion, "0.1.0");
  });
  test("a null name counts as missing (code 7)", () => rejects({ ...BASE, name: null }, 7, /missing network name/));
  test("name is checked before the version (skel)", () => rejects({ cniVersion: "9.9.9" }, 7, /network name/));
  test("decodeConfigJson keeps unknown keys", () => {
    assert.deepEqual(decodeConfigJson(Buffer.from('{"name":"n","x":{"y":1}}')), { name: "n", x: { y: 1 } });
  });
});

describe("parsePluginConfig: defaults and normalization", () => {
  for (const v of SUPPORTED_VERSIONS) {
    test(`[${v}] a minimal config gets the defaults`, () => {
      assert.deepEqual(parsePluginConfig({ cniVersion: v, name: "tnet" }), {
        cniVersion: v,
        name: "tnet",
        driver: "bridge",
        subnets: [],
        routes: [],
        ipMasq: false,
        hairpinMode: false,
        promiscMode: false,
        isGateway: false,
        isDefaultGateway: false,
        forceAddress: false,
        isolation: "none",
        capabilities: {},
        runtimeConfig: {},
      });
    });
  }

  test("a full config parses; booleans accept strings; isDefaultGateway implies isGateway", () => {
    const c = parsePluginConfig({
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
      capabilities: { portMappings: true, mac: false },
      runtimeConfig: {
        portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }],
        mac: "c2:11:22:33:44:55",
        ips: ["10.22.0.9/24", "fd00::9"],
        bandwidth: { ingressRate: 1000, egressBurst: 10 },
        dns: { servers: ["1.1.1.1"], searches: ["s"] },
        ipRanges: [[{ subnet: "10.23.0.0/24", rangeStart: "10.23.0.10" }]],
        aliases: ["web"],
      },
      args: { cni: { ips: ["10.22.0.42/24"], mac: "c2:11:22:33:44:66", labels: [{ key: "app", value: "x" }] } },
      somethingElse: { kept: true },
    });
    assert.equal(c.driver, "macvlan");
    assert.deepEqual(c.subnets, ["10.22.0.0/24"]);
    assert.equal(c.ipMasq, true);
    assert.equal(c.hairpinMode, false);
    assert.equal(c.isGateway, true);
    assert.equal(c.isolation, "strict");
    assert.equal(c.ipam?.["ranges"] !== undefined, true);
    assert.deepEqual(c.runtimeConfig["aliases"], ["web"]);
    assert.deepEqual(c.args?.cni?.["labels"], [{ key: "app", value: "x" }]);
    assert.equal(c.routes[0]?.priority, 10);
    assert.equal((c as unknown as Record<string, unknown>)["somethingElse"], undefined);
  });

  test("subnets: one IPv4 and one IPv6", () => {
    assert.deepEqual(parsePluginConfig({ ...BASE, subnets: ["10.0.0.0/24", "fd00::/64"] }).subnets, [
      "10.0.0.0/24",
      "fd00::/64",
    ]);
  });

  test("prevResult is read in the config's version and converted to 1.1.0", () => {
    const c = parsePluginConfig({
      ...BASE,
      cniVersion: "0.4.0",
      prevResult: { ips: [{ version: "4", address: "10.0.0.2/24", interface: 0 }], interfaces: [{ name: "eth0" }] },
    });
    assert.deepEqual(c.prevResult, {
      cniVersion: "1.1.0",
      interfaces: [{ name: "eth0" }],
      ips: [{ interface: 0, address: "10.0.0.2/24" }],
    });
  });

  test("GC: valid-attachments, with cni.dev/attachments as fallback", () => {
    const a = [{ containerID: "ctr2", ifname: "eth0" }];
    assert.deepEqual(parsePluginConfig({ ...BASE, "cni.dev/valid-attachments": a }).validAttachments, a);
    assert.deepEqual(parsePluginConfig({ ...BASE, "cni.dev/attachments": a }).validAttachments, a);
    assert.deepEqual(
      parsePluginConfig({ ...BASE, "cni.dev/valid-attachments": a, "cni.dev/attachments": [] }).validAttachments,
      a,
    );
  });
});

describe("parsePluginConfig: each message names the field and the value (code 7)", () => {
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
    ["dns nameservers", { dns: { nameservers: "1.1.1.1" } }, /"dns.nameservers": "1.1.1.1" must be an array/],
    ["ipam not an object", { ipam: "host-local" }, /"ipam": "host-local" must be an object/],
    ["ipam type", { ipam: { type: 5 } }, /"ipam.type": 5 must be a string/],
    ["capabilities", { capabilities: { portMappings: "yes" } }, /"capabilities.portMappings": "yes" must be a boolean/],
    ["runtimeConfig.mac", { runtimeConfig: { mac: "zz" } }, /"runtimeConfig.mac": "zz" is not a MAC address/],
    [
      "runtimeConfig.ips",
      { runtimeConfig: { ips: ["10.0.0.999"] } },
      /"runtimeConfig.ips\[0\]": "10.0.0.999" is not an IP address or CIDR/,
    ],
    [
      "portMappings",
      { runtimeConfig: { portMappings: [{ hostPort: 70000, containerPort: 80 }] } },
      /"runtimeConfig.portMappings\[0\].hostPort": 70000 must be at most 65535/,
    ],
    [
      "portMappings protocol",
      { runtimeConfig: { portMappings: [{ hostPort: 80, containerPort: 80, protocol: "icmp" }] } },
      /"runtimeConfig.portMappings\[0\].protocol": "icmp" must be one of "tcp", "udp", "sctp"/,
    ],
    [
      "portMappings in Go spelling: the message names the field as folded",
      { runtimeConfig: { PortMappings: [{ HostPort: "80", ContainerPort: 80 }] } },
      /"runtimeConfig.portMappings\[0\].hostPort": "80" must be a number/,
    ],
    ["args.cni.mac", { args: { cni: { mac: "nope" } } }, /"args.cni.mac": "nope" is not a MAC address/],
    [
      "valid-attachments",
      { "cni.dev/valid-attachments": [{ containerID: "c" }] },
      /missing config field "cni.dev\/valid-attachments\[0\].ifname"/,
    ],
    [
      "prevResult shape",
      { prevResult: { cniVersion: "1.1.0", ips: [{ address: "10.0.0.1" }] } },
      /"prevResult.ips\[0\].address": "10.0.0.1" is not a CIDR/,
    ],
    ["dataDir empty", { dataDir: "" }, /"dataDir": "" must have at least 1 character/],
    ["type not a string", { type: 3 }, /"type": 3 must be a string/],
  ];
  for (const [what, extra, msg] of cases) {
    test(what, () => rejects({ ...BASE, ...extra }, 7, msg));
  }
});

describe("parsePluginConfig: reference bridge features quantum does not implement (code 2)", () => {
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
    const c = parsePluginConfig({ ...BASE, vlan: 0, vlanTrunk: [], macspoofchk: false, enabledad: false });
    assert.equal(c.name, "tnet");
  });
});
