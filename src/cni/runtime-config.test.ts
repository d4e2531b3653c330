// runtimeConfig as containerd's go-cni sends it (untagged Go structs: `HostPort`, `Servers`, ...)
// and in the other spellings Go's encoding/json decodes into the reference plugins' fields.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parsePluginConfig } from "./config.js";
import { CniError } from "./errors.js";
import { goFieldFor, goFoldKey } from "./go-json-keys.js";
import { resultDns } from "./runtime-dns.js";

const BASE = { cniVersion: "1.0.0", name: "k8s-pod-network", type: "quantum" };

/** Byte for byte what containerd 1.6's CRI plugin put into runtimeConfig (runtimes.md, traced). */
const GO_CNI_RUNTIME_CONFIG = {
  portMappings: [
    { HostPort: 30080, ContainerPort: 8080, Protocol: "tcp", HostIP: "" },
    { HostPort: 30053, ContainerPort: 53, Protocol: "udp", HostIP: "127.0.0.1" },
  ],
  dns: { Servers: ["10.96.0.10"], Searches: ["default.svc.cluster.local", "svc.cluster.local"], Options: ["ndots:5"] },
  "io.kubernetes.cri.pod-annotations": { "kubernetes.io/config.seen": "2026-01-01T00:00:00Z" },
  bandwidth: { IngressRate: 1000000, IngressBurst: 0, EgressRate: 1000000, EgressBurst: 0 },
  cgroupPath: "/kubepods/besteffort/pod1234",
};

describe("runtimeConfig: keys as Go's encoding/json matches them", () => {
  for (const command of ["ADD", "DEL"]) {
    test(`[${command}] go-cni's Go field names read as the reference plugins read them`, () => {
      // DEL carries the same runtimeConfig (and the same parser runs): both must accept it.
      const c = parsePluginConfig({ ...BASE, runtimeConfig: GO_CNI_RUNTIME_CONFIG });
      assert.deepEqual(c.runtimeConfig.portMappings, [
        { hostPort: 30080, containerPort: 8080, protocol: "tcp", hostIP: "" },
        { hostPort: 30053, containerPort: 53, protocol: "udp", hostIP: "127.0.0.1" },
      ]);
      assert.deepEqual(c.runtimeConfig.dns, {
        servers: ["10.96.0.10"],
        searches: ["default.svc.cluster.local", "svc.cluster.local"],
        options: ["ndots:5"],
      });
      // Unused capabilities are kept as sent (keys folded where we know the struct).
      assert.deepEqual(c.runtimeConfig["bandwidth"], {
        ingressRate: 1000000,
        ingressBurst: 0,
        egressRate: 1000000,
        egressBurst: 0,
      });
      assert.deepEqual(c.runtimeConfig["io.kubernetes.cri.pod-annotations"], {
        "kubernetes.io/config.seen": "2026-01-01T00:00:00Z",
      });
    });
  }

  const spellings: [string, Record<string, unknown>][] = [
    ["camelCase (libcni, podman)", { hostPort: 8080, containerPort: 80, protocol: "tcp", hostIP: "10.0.0.1" }],
    ["Go field names (go-cni)", { HostPort: 8080, ContainerPort: 80, Protocol: "tcp", HostIP: "10.0.0.1" }],
    ["all lower case", { hostport: 8080, containerport: 80, protocol: "tcp", hostip: "10.0.0.1" }],
    ["all upper case", { HOSTPORT: 8080, CONTAINERPORT: 80, PROTOCOL: "tcp", HOSTIP: "10.0.0.1" }],
    ["mixed (hostIp)", { hostPort: 8080, ContainerPort: 80, PROTOCOL: "tcp", hostIp: "10.0.0.1" }],
  ];
  for (const [what, entry] of spellings) {
    test(`portMappings, ${what}`, () => {
      const c = parsePluginConfig({ ...BASE, runtimeConfig: { portMappings: [entry] } });
      assert.deepEqual(c.runtimeConfig.portMappings, [
        { hostPort: 8080, containerPort: 80, protocol: "tcp", hostIP: "10.0.0.1" },
      ]);
    });
  }

  test("the capability names themselves fold too (PortMappings, DNS, IPs, MAC)", () => {
    const c = parsePluginConfig({
      ...BASE,
      runtimeConfig: {
        PortMappings: [{ HostPort: 1, ContainerPort: 2 }],
        DNS: { SERVERS: ["1.1.1.1"] },
        IPs: ["10.1.0.9/24"],
        MAC: "c2:11:22:33:44:55",
      },
    });
    assert.deepEqual(c.runtimeConfig.portMappings, [{ hostPort: 1, containerPort: 2, protocol: "tcp" }]);
    assert.deepEqual(c.runtimeConfig.dns, { servers: ["1.1.1.1"] });
    assert.deepEqual(c.runtimeConfig.ips, ["10.1.0.9/24"]);
    assert.equal(c.runtimeConfig.mac, "c2:11:22:33:44:55");
  });

  test("protocol: Kubernetes' upper-case enum and empty are accepted (empty = tcp)", () => {
    const c = parsePluginConfig({
      ...BASE,
      runtimeConfig: {
        portMappings: [
          { HostPort: 1, ContainerPort: 1, Protocol: "TCP" },
          { HostPort: 2, ContainerPort: 2, Protocol: "UDP" },
          { HostPort: 3, ContainerPort: 3, Protocol: "SCTP" },
          { HostPort: 4, ContainerPort: 4, Protocol: "" },
        ],
      },
    });
    assert.deepEqual(
      c.runtimeConfig.portMappings?.map((p) => p.protocol),
      ["tcp", "udp", "sctp", "tcp"],
    );
  });

  test("when two spellings name one field, the last in the document wins (Go overwrites)", () => {
    const c = parsePluginConfig({
      ...BASE,
      runtimeConfig: { portMappings: [{ hostPort: 1, HostPort: 2, containerPort: 80 }] },
    });
    assert.equal(c.runtimeConfig.portMappings?.[0]?.hostPort, 2);
  });

  test("null lists are absent, as Go decodes them (go-cni sends Searches: null for an empty slice)", () => {
    const c = parsePluginConfig({
      ...BASE,
      runtimeConfig: { portMappings: null, dns: { Servers: ["10.0.0.10"], Searches: null, Options: null } },
    });
    assert.equal(c.runtimeConfig.portMappings, undefined);
    assert.deepEqual(c.runtimeConfig.dns, { servers: ["10.0.0.10"] });
  });

  test("runtimeConfig: null is no runtimeConfig (Go); an array is still refused (code 7)", () => {
    assert.deepEqual(parsePluginConfig({ ...BASE, runtimeConfig: null }).runtimeConfig, {});
    assert.throws(
      () => parsePluginConfig({ ...BASE, runtimeConfig: [] }),
      (e: unknown) => e instanceof CniError && e.code === 7 && /"runtimeConfig": \[\] must be an object/.test(e.msg),
    );
  });

  test("args.cni folds too: {CNI: {IPs, MAC}} reads as args.cni.ips/mac", () => {
    const c = parsePluginConfig({
      ...BASE,
      args: { CNI: { IPs: ["10.1.0.9/24"], Mac: "c2:11:22:33:44:55" }, other: 1 },
    });
    assert.deepEqual(c.args?.cni?.ips, ["10.1.0.9/24"]);
    assert.equal(c.args?.cni?.mac, "c2:11:22:33:44:55");
  });

  test("a capability quantum does not read never fails the call, whatever it holds", () => {
    for (const junk of [
      { bandwidth: { ingressRate: -5 } },
      { bandwidth: "fast" },
      { ipRanges: [[{ subnet: "x" }]] },
      { "io.kubernetes.cri.pod-annotations": 42 },
      { cgroupPath: { nested: true } },
      { somethingNew: [1, 2, 3] },
    ]) {
      const c = parsePluginConfig({ ...BASE, runtimeConfig: junk });
      assert.ok(c.runtimeConfig, JSON.stringify(junk));
    }
  });

  test("a bad value of a capability we read is code 7 naming the field", () => {
    assert.throws(
      () => parsePluginConfig({ ...BASE, runtimeConfig: { portMappings: [{ HostPort: 70000, ContainerPort: 1 }] } }),
      (e: unknown) =>
        e instanceof CniError && e.code === 7 && /"runtimeConfig.portMappings\[0\].hostPort": 70000/.test(e.msg),
    );
  });
});

describe("goFieldFor / goFoldKey", () => {
  test("exact name first, else the first fold match; Kelvin sign and long s fold like Go", () => {
    assert.equal(goFieldFor("hostPort", ["hostport", "hostPort"]), "hostPort");
    assert.equal(goFieldFor("HOSTPORT", ["hostPort"]), "hostPort");
    assert.equal(goFieldFor("hostport2", ["hostPort"]), undefined);
    assert.equal(goFoldKey("\u212aey"), "key");
    assert.equal(goFieldFor("\u017fervers", ["servers"]), "servers");
  });
});

describe("resultDns: the dns capability over the config's dns", () => {
  test("non-empty runtime lists replace the config's; the domain stays", () => {
    assert.deepEqual(
      resultDns(
        { nameservers: ["8.8.8.8"], domain: "example", search: ["a"] },
        { servers: ["10.96.0.10"], searches: ["ns.svc.cluster.local"], options: ["ndots:5"] },
      ),
      { nameservers: ["10.96.0.10"], domain: "example", search: ["ns.svc.cluster.local"], options: ["ndots:5"] },
    );
  });
  test("empty or absent runtime lists keep the config's; nothing at all is undefined", () => {
    assert.deepEqual(resultDns({ nameservers: ["8.8.8.8"] }, { servers: [] }), { nameservers: ["8.8.8.8"] });
    assert.equal(resultDns(undefined, undefined), undefined);
    assert.equal(resultDns(undefined, {}), undefined);
  });
});
