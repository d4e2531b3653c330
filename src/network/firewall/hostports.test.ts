import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { addHostPortsScript, hostPortElement, hostPortTableLines, removeHostPortKeysScript } from "./hostports.js";
import { parseHostPortElements } from "./hostports-parse.js";

const T = "inet quantum";
const OWNER = { containerId: "c0ffee", ifname: "eth0" };

describe("hostports: map elements", () => {
  it("every local address: proto . port → address . port in hp4/hp6", () => {
    assert.deepEqual(
      hostPortElement({ protocol: "tcp", hostPort: 30080, containerIp: "10.87.0.2", containerPort: 8080 }),
      {
        map: "hp4",
        key: "tcp . 30080",
        value: "10.87.0.2 . 8080",
        family: 4,
      },
    );
    assert.deepEqual(hostPortElement({ protocol: "udp", hostPort: 53, containerIp: "fd00:0::5", containerPort: 53 }), {
      map: "hp6",
      key: "udp . 53",
      value: "fd00::5 . 53",
      family: 6,
    });
  });

  it("one host address: hostIP . proto . port in hp4ip/hp6ip", () => {
    const e = hostPortElement({
      protocol: "sctp",
      hostPort: 9,
      containerIp: "10.0.0.2",
      containerPort: 9,
      hostIp: "127.0.0.1",
    });
    assert.equal(e.map, "hp4ip");
    assert.equal(e.key, "127.0.0.1 . sctp . 9");
  });

  it("refuses what would not be a valid element, naming the value", () => {
    const base = { protocol: "tcp" as const, hostPort: 80, containerIp: "10.0.0.2", containerPort: 80 };
    assert.throws(() => hostPortElement({ ...base, hostPort: 0 }), /invalid host port 0/);
    assert.throws(() => hostPortElement({ ...base, containerPort: 70000 }), /invalid container port 70000/);
    assert.throws(() => hostPortElement({ ...base, protocol: "icmp" as never }), /invalid host port protocol "icmp"/);
    assert.throws(() => hostPortElement({ ...base, containerIp: "10.0.0.2; flush ruleset" }), /invalid IP address/);
    assert.throws(() => hostPortElement({ ...base, hostIp: "fd00::1" }), /different families/);
  });
});

describe("hostports: scripts", () => {
  it("ADD creates (fails on a taken key) with the owner in the comment, in one transaction", () => {
    const s = addHostPortsScript(T, OWNER, [
      { protocol: "tcp", hostPort: 30080, containerIp: "10.87.0.2", containerPort: 8080 },
      { protocol: "tcp", hostPort: 30081, containerIp: "10.87.0.2", containerPort: 8080, hostIp: "10.99.0.1" },
    ]);
    assert.equal(
      s,
      [
        'create element inet quantum hp4 { tcp . 30080 comment "c0ffee/eth0" : 10.87.0.2 . 8080 }',
        'create element inet quantum hp4ip { 10.99.0.1 . tcp . 30081 comment "c0ffee/eth0" : 10.87.0.2 . 8080 }',
        "",
      ].join("\n"),
    );
    assert.equal(addHostPortsScript(T, OWNER, []), "");
  });

  it("removal deletes the listed keys", () => {
    assert.equal(
      removeHostPortKeysScript(T, [{ map: "hp4", key: "tcp . 30080" }]),
      "delete element inet quantum hp4 { tcp . 30080 }\n",
    );
    assert.equal(removeHostPortKeysScript(T, []), "");
  });

  it("the static part: four maps, DNAT for local destinations from prerouting and output, marks before DNAT", () => {
    const lines = hostPortTableLines(T);
    for (const m of ["hp4", "hp4ip", "hp6", "hp6ip"])
      assert.ok(
        lines.some((l) => l.startsWith(`add map ${T} ${m} `)),
        m,
      );
    assert.ok(lines.includes(`add rule ${T} hostport_pre fib daddr type local jump hostports`));
    assert.ok(lines.includes(`add rule ${T} hostport_out fib daddr type local jump hostports`));
    const rules = lines.filter((l) => l.startsWith(`add rule ${T} hostports `));
    const firstDnat = rules.findIndex((r) => r.includes(" dnat "));
    assert.ok(firstDnat > 0 && rules.slice(0, firstDnat).every((r) => r.includes("meta mark set")));
    // Chains are flushed before refill: re-running never duplicates a rule.
    assert.ok(lines.indexOf(`flush chain ${T} hostports`) < lines.indexOf(rules[0]!));
  });
});

describe("parseHostPortElements: nft -j list map", () => {
  it("reads key, value and owner; skips what has an unexpected shape", () => {
    const json = {
      nftables: [
        { metainfo: { version: "1.0.6" } },
        {
          map: {
            name: "hp4",
            elem: [
              [{ elem: { val: { concat: ["tcp", 30080] }, comment: "c0ffee/eth0" } }, { concat: ["10.87.0.2", 8080] }],
              [{ concat: ["udp", 53] }, { concat: ["10.87.0.3", 53] }],
              ["garbage"],
              [{ elem: { val: 5 } }, { concat: ["10.87.0.4", 1] }],
            ],
          },
        },
      ],
    };
    assert.deepEqual(parseHostPortElements(json, "hp4"), [
      { map: "hp4", key: "tcp . 30080", value: "10.87.0.2 . 8080", containerId: "c0ffee", ifname: "eth0" },
      { map: "hp4", key: "udp . 53", value: "10.87.0.3 . 53" },
    ]);
    assert.deepEqual(parseHostPortElements(json, "hp6"), []);
    assert.deepEqual(parseHostPortElements(null, "hp4"), []);
  });
});
