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
        capabilities: {},
        runtimeConfig: {},
        raw: { cniVersion: v, name: "tnet" },
      });
    });
  }

  test("a full config parses; the plugin's own keys stay in raw only", () => {
    const c = parsePluginConfig({
      ...BASE,
      driver: "macvlan",
      subnet: "10.22.0.0/24",
      dns: { nameservers: ["10.22.0.1"], domain: "x", search: ["a"], options: ["ndots:2"] },
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
    assert.equal(c.ipam?.["ranges"] !== undefined, true);
    assert.deepEqual(c.runtimeConfig["aliases"], ["web"]);
    assert.deepEqual(c.args?.cni?.["labels"], [{ key: "app", value: "x" }]);
    assert.equal((c as unknown as Record<string, unknown>)["somethingElse"], undefined);
    assert.deepEqual(c.raw["somethingElse"], { kept: true });
    assert.equal((c as unknown as Record<string, unknown>)["driver"], undefined);
    assert.equal(c.raw["driver"], "macvlan");
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
    ["type not a string", { type: 3 }, /"type": 3 must be a string/],
  ];
  for (const [what, extra, msg] of cases) {
    test(what, () => rejects({ ...BASE, ...extra }, 7, msg));
  }
});
