import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CniError } from "./errors.js";
import { formatResult, parseResult, type Result, resultToJson, toCanonicalResult } from "./result.js";
import { SUPPORTED_VERSIONS } from "./version.js";

/** What host-local returns for H(V) (vectors 4, 6, 7), in canonical 1.1.0 form. */
const HOST_LOCAL: Result = {
  cniVersion: "1.1.0",
  ips: [{ address: "10.22.0.2/24", gateway: "10.22.0.1" }],
  routes: [{ dst: "0.0.0.0/0" }],
};

/** Vector 8: two range sets. */
const DUAL: Result = {
  cniVersion: "1.1.0",
  ips: [
    { address: "10.22.0.2/24", gateway: "10.22.0.1" },
    { address: "fd00:22::2/64", gateway: "fd00:22::1" },
  ],
  routes: [{ dst: "0.0.0.0/0" }],
};

/** The exact stdout expected for HOST_LOCAL per config version (cni-spec.md §4, vectors 4/6/7). */
const HOST_LOCAL_TEXT: Record<string, string> = {
  "0.1.0":
    '{"cniVersion":"0.1.0","ip4":{"ip":"10.22.0.2/24","gateway":"10.22.0.1","routes":[{"dst":"0.0.0.0/0"}]},"dns":{}}',
  "0.2.0":
    '{"cniVersion":"0.2.0","ip4":{"ip":"10.22.0.2/24","gateway":"10.22.0.1","routes":[{"dst":"0.0.0.0/0"}]},"dns":{}}',
  "0.3.0":
    '{"cniVersion":"0.3.0","ips":[{"version":"4","address":"10.22.0.2/24","gateway":"10.22.0.1"}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{}}',
  "0.3.1":
    '{"cniVersion":"0.3.1","ips":[{"version":"4","address":"10.22.0.2/24","gateway":"10.22.0.1"}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{}}',
  "0.4.0":
    '{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.22.0.2/24","gateway":"10.22.0.1"}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{}}',
  "1.0.0":
    '{"cniVersion":"1.0.0","ips":[{"address":"10.22.0.2/24","gateway":"10.22.0.1"}],"routes":[{"dst":"0.0.0.0/0"}]}',
  "1.1.0":
    '{"cniVersion":"1.1.0","ips":[{"address":"10.22.0.2/24","gateway":"10.22.0.1"}],"routes":[{"dst":"0.0.0.0/0"}]}',
};

describe("printing per version (vectors 4, 6, 7, 8)", () => {
  for (const v of SUPPORTED_VERSIONS) {
    test(`[${v}] host-local result prints exactly as Go does`, () => {
      assert.equal(formatResult(HOST_LOCAL, v), HOST_LOCAL_TEXT[v]);
    });

    test(`[${v}] dual-stack result keeps both addresses`, () => {
      const out = resultToJson(parseResult(formatResult(DUAL, v)));
      if (v === "0.1.0" || v === "0.2.0") {
        assert.deepEqual(out["ip4"], { ip: "10.22.0.2/24", gateway: "10.22.0.1", routes: [{ dst: "0.0.0.0/0" }] });
        assert.deepEqual(out["ip6"], { ip: "fd00:22::2/64", gateway: "fd00:22::1" });
      } else {
        const ips = out["ips"] as { address: string; gateway: string }[];
        assert.deepEqual(
          ips.map((i) => [i.address, i.gateway]),
          [
            ["10.22.0.2/24", "10.22.0.1"],
            ["fd00:22::2/64", "fd00:22::1"],
          ],
        );
      }
    });

    test(`[${v}] a parsed result prints back with the same version`, () => {
      const text = formatResult(HOST_LOCAL, v);
      assert.equal(formatResult(parseResult(text)), text);
    });
  }

  test("interface index 0 is kept, empty arrays are omitted", () => {
    const r: Result = {
      cniVersion: "1.1.0",
      interfaces: [{ name: "eth0", sandbox: "/run/netns/c7" }],
      ips: [{ interface: 0, address: "10.1.0.5/16" }],
      routes: [],
    };
    assert.equal(
      formatResult(r, "0.4.0"),
      '{"cniVersion":"0.4.0","interfaces":[{"name":"eth0","sandbox":"/run/netns/c7"}],"ips":[{"version":"4","interface":0,"address":"10.1.0.5/16"}],"dns":{}}',
    );
    assert.equal(
      formatResult(r),
      '{"cniVersion":"1.1.0","interfaces":[{"name":"eth0","sandbox":"/run/netns/c7"}],"ips":[{"interface":0,"address":"10.1.0.5/16"}]}',
    );
  });

  test("1.x prints non-empty dns, 0.4.0 prints it too", () => {
    const r: Result = { ...HOST_LOCAL, dns: { nameservers: ["10.22.0.1"], search: [] } };
    assert.match(formatResult(r), /"dns":\{"nameservers":\["10.22.0.1"\]\}/);
    assert.match(formatResult(r, "0.4.0"), /"dns":\{"nameservers":\["10.22.0.1"\]\}/);
  });

  test("1.1.0 fields print in Go order and survive", () => {
    const r: Result = {
      cniVersion: "1.1.0",
      interfaces: [
        { pciID: "0000:00:1f.0", socketPath: "/s", sandbox: "/n", mtu: 9000, mac: "aa:bb:cc:dd:ee:ff", name: "e" },
      ],
      routes: [{ scope: 253, table: 100, priority: 5, advmss: 1400, mtu: 1450, gw: "10.0.0.1", dst: "10.0.0.0/8" }],
    };
    assert.equal(
      formatResult(r),
      '{"cniVersion":"1.1.0","interfaces":[{"name":"e","mac":"aa:bb:cc:dd:ee:ff","mtu":9000,"sandbox":"/n","socketPath":"/s","pciID":"0000:00:1f.0"}],' +
        '"routes":[{"dst":"10.0.0.0/8","gw":"10.0.0.1","mtu":1450,"advmss":1400,"priority":5,"table":100,"scope":253}]}',
    );
  });
});

describe("parseResult", () => {
  test("a missing cniVersion means the fallback version", () => {
    const r = parseResult({ ips: [{ version: "4", address: "10.0.0.2/24" }] }, "0.4.0");
    assert.equal(r.cniVersion, "0.4.0");
  });

  test("a missing cniVersion without fallback means 0.1.0", () => {
    const r = parseResult('{"ip4":{"ip":"10.0.0.2/24"}}');
    assert.equal(r.cniVersion, "0.1.0");
    assert.deepEqual(resultToJson(r), { cniVersion: "0.1.0", ip4: { ip: "10.0.0.2/24" }, dns: {} });
  });

  test("the result's own cniVersion wins over the fallback", () => {
    assert.equal(parseResult({ cniVersion: "1.0.0" }, "0.4.0").cniVersion, "1.0.0");
  });

  test("0.3.x/0.4.0 ips without version get it from the address", () => {
    const r = parseResult({ cniVersion: "0.3.1", ips: [{ address: "fd00::2/64" }] });
    assert.deepEqual(resultToJson(r)["ips"], [{ version: "6", address: "fd00::2/64" }]);
  });

  test("unknown keys are ignored, as Go's decoder does", () => {
    const r = parseResult({ cniVersion: "1.0.0", extra: 1, ips: [{ address: "10.0.0.2/24", version: "4" }] });
    assert.deepEqual(resultToJson(r), { cniVersion: "1.0.0", ips: [{ address: "10.0.0.2/24" }] });
  });

  test("canonical form: 1.x, 0.4.0 and 0.2.0 results all reach 1.1.0", () => {
    for (const v of SUPPORTED_VERSIONS) {
      const canon = toCanonicalResult(parseResult(formatResult(HOST_LOCAL, v)));
      assert.deepEqual(canon, HOST_LOCAL, v);
    }
  });

  const bad: [string, unknown, RegExp, number][] = [
    ["bad JSON", "{", /cannot decode result JSON/, 6],
    ["not an object", "[]", /must be a JSON object/, 6],
    ["numeric cniVersion", { cniVersion: 1 }, /"cniVersion" must be a string/, 6],
    ["unsupported version", { cniVersion: "9.9.9" }, /unsupported result version "9.9.9"/, 1],
    [
      "bad address",
      { cniVersion: "1.0.0", ips: [{ address: "10.0.0.2" }] },
      /"ips\[0\].address": "10.0.0.2" is not a CIDR/,
      6,
    ],
    ["bad gateway", { cniVersion: "1.0.0", ips: [{ address: "10.0.0.2/8", gateway: "x" }] }, /"ips\[0\].gateway"/, 6],
    ["bad route dst", { cniVersion: "0.4.0", routes: [{ dst: "0.0.0.0/99" }] }, /"routes\[0\].dst": "0.0.0.0\/99"/, 6],
    [
      "negative index",
      { cniVersion: "1.1.0", ips: [{ address: "10.0.0.2/8", interface: -1 }] },
      /"ips\[0\].interface": -1/,
      6,
    ],
    ["bad 0.2.0 ip4", { cniVersion: "0.2.0", ip4: { ip: "nope" } }, /"ip4.ip": "nope" is not a CIDR/, 6],
  ];
  for (const [what, input, msg, code] of bad) {
    test(`rejects ${what} (code ${code})`, () => {
      assert.throws(
        () => parseResult(input),
        (e: unknown) => e instanceof CniError && e.code === code && msg.test(e.msg),
      );
    });
  }

  test("a field prefix and code are used in messages (prevResult in a config)", () => {
    assert.throws(
      () =>
        parseResult({ cniVersion: "1.0.0", ips: [{ address: "x" }] }, undefined, {
          fieldPrefix: ["prevResult"],
          code: 7,
        }),
      (e: unknown) => e instanceof CniError && e.code === 7 && /"prevResult.ips\[0\].address": "x"/.test(e.msg),
    );
  });
});
