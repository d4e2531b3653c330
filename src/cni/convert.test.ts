import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { type AnyResult, ConverterRegistry, convertResult, createConverterRegistry } from "./convert.js";
import { CniError } from "./errors.js";
import { parseResult, resultToJson } from "./result.js";
import type { ResultV100 } from "./v100/types.js";
import { type CniVersion, SUPPORTED_VERSIONS } from "./version.js";

/** cni-spec.md test vector 17. */
const VECTOR_17 = {
  cniVersion: "1.1.0",
  interfaces: [
    {
      name: "eth0",
      mac: "92:aa:bb:cc:dd:ee",
      mtu: 1500,
      sandbox: "/run/netns/c7",
      socketPath: "/s",
      pciID: "0000:00:1f.0",
    },
  ],
  ips: [
    { interface: 0, address: "10.1.0.5/16", gateway: "10.1.0.1" },
    { interface: 0, address: "10.2.0.5/16" },
    { interface: 0, address: "fd00::5/64", gateway: "fd00::1" },
  ],
  routes: [
    { dst: "10.0.0.0/8", priority: 100 },
    { dst: "::/0", gw: "fd00::1", table: 0 },
  ],
  dns: { nameservers: ["10.1.0.1"] },
};

describe("registry", () => {
  test("refuses a duplicate (from, to) pair", () => {
    const reg = new ConverterRegistry();
    const fn = (r: AnyResult) => r;
    reg.register("0.4.0", ["1.0.0", "1.1.0"], fn);
    assert.throws(() => reg.register("0.4.0", ["1.1.0"], fn), /already registered for 0.4.0 -> 1.1.0/);
    assert.doesNotThrow(() => reg.register("0.3.1", ["1.1.0"], fn));
  });

  test("the default registry refuses being filled twice", () => {
    const reg = createConverterRegistry();
    const [from, to] = reg.pairs()[0] ?? ["0.1.0", "0.2.0"];
    assert.throws(() => reg.register(from, [to], (r) => r), /already registered/);
  });

  test("refuses registering a same-version conversion", () => {
    assert.throws(() => new ConverterRegistry().register("1.0.0", ["1.0.0"], (r) => r), /same-version/);
  });

  test("covers every pair of distinct versions exactly once", () => {
    const pairs = createConverterRegistry()
      .pairs()
      .map(([f, t]) => `${f}>${t}`);
    assert.equal(new Set(pairs).size, pairs.length);
    assert.equal(pairs.length, SUPPORTED_VERSIONS.length * (SUPPORTED_VERSIONS.length - 1));
  });

  test("an unknown target version is code 1", () => {
    const r = parseResult(VECTOR_17);
    assert.throws(
      () => convertResult(r, "9.9.9"),
      (e: unknown) => e instanceof CniError && e.code === 1,
    );
  });

  test("same version is an equal deep copy", () => {
    const r = parseResult(VECTOR_17);
    const out = convertResult(r, "1.1.0");
    assert.deepEqual(out, r);
    assert.notEqual(out, r);
    assert.notEqual((out as ResultV100).ips, (r as ResultV100).ips);
  });
});

describe("vector 17", () => {
  const r = parseResult(VECTOR_17);
  test("1.1.0 → 0.4.0 drops iface mtu/socketPath/pciID, adds version, keeps route priority", () => {
    assert.deepEqual(resultToJson(convertResult(r, "0.4.0")), {
      cniVersion: "0.4.0",
      interfaces: [{ name: "eth0", mac: "92:aa:bb:cc:dd:ee", sandbox: "/run/netns/c7" }],
      ips: [
        { version: "4", interface: 0, address: "10.1.0.5/16", gateway: "10.1.0.1" },
        { version: "4", interface: 0, address: "10.2.0.5/16" },
        { version: "6", interface: 0, address: "fd00::5/64", gateway: "fd00::1" },
      ],
      routes: [
        { dst: "10.0.0.0/8", priority: 100 },
        { dst: "::/0", gw: "fd00::1", table: 0 },
      ],
      dns: { nameservers: ["10.1.0.1"] },
    });
  });

  test("1.1.0 → 0.2.0 keeps the first v4 and the v6, routes split by family (dst/gw only)", () => {
    assert.deepEqual(resultToJson(convertResult(r, "0.2.0")), {
      cniVersion: "0.2.0",
      ip4: { ip: "10.1.0.5/16", gateway: "10.1.0.1", routes: [{ dst: "10.0.0.0/8" }] },
      ip6: { ip: "fd00::5/64", gateway: "fd00::1", routes: [{ dst: "::/0", gw: "fd00::1" }] },
      dns: { nameservers: ["10.1.0.1"] },
    });
  });

  test("routes of a family without an address are dropped going to 0.2.0", () => {
    const v4only = parseResult({ ...VECTOR_17, ips: VECTOR_17.ips.slice(0, 1) });
    const out = resultToJson(convertResult(v4only, "0.1.0"));
    assert.deepEqual(out, {
      cniVersion: "0.1.0",
      ip4: { ip: "10.1.0.5/16", gateway: "10.1.0.1", routes: [{ dst: "10.0.0.0/8" }] },
      dns: { nameservers: ["10.1.0.1"] },
    });
  });

  for (const v of ["0.1.0", "0.2.0"]) {
    test(`[${v}] a result without IPs cannot be converted: "no valid IP addresses"`, () => {
      const none = parseResult({ cniVersion: "1.1.0", interfaces: [{ name: "eth0" }] });
      assert.throws(() => convertResult(none, v), /no valid IP addresses/);
    });
  }

  test("0.2.0 → 1.0.0: ip4 then ip6 become ips, routes flattened, no interface index", () => {
    const old = parseResult({
      cniVersion: "0.2.0",
      ip6: { ip: "fd00::5/64", routes: [{ dst: "::/0" }] },
      ip4: { ip: "10.1.0.5/16", gateway: "10.1.0.1", routes: [{ dst: "0.0.0.0/0" }] },
    });
    assert.deepEqual(resultToJson(convertResult(old, "1.0.0")), {
      cniVersion: "1.0.0",
      ips: [{ address: "10.1.0.5/16", gateway: "10.1.0.1" }, { address: "fd00::5/64" }],
      routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }],
    });
  });
});

// ---- properties over arbitrary valid 1.1.0 results ----

const v4 = fc.ipV4();
const v6 = fc.ipV6().filter((s) => !s.includes("."));
const cidr = fc.oneof(
  fc.tuple(v4, fc.integer({ min: 0, max: 32 })).map(([a, p]) => `${a}/${p}`),
  fc.tuple(v6, fc.integer({ min: 0, max: 128 })).map(([a, p]) => `${a}/${p}`),
);
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const word = fc.stringMatching(/^[a-z0-9]{1,8}$/);

const arbResult = fc
  .record({
    interfaces: opt(
      fc.array(
        fc.record({
          name: word,
          mac: opt(fc.constant("0a:58:0a:01:00:01")),
          mtu: opt(fc.integer({ min: 68, max: 9000 })),
          sandbox: opt(word.map((w) => `/run/netns/${w}`)),
          socketPath: opt(word),
          pciID: opt(word),
        }),
        { maxLength: 3 },
      ),
    ),
    ips: opt(
      fc.array(fc.record({ interface: opt(fc.nat(3)), address: cidr, gateway: opt(fc.oneof(v4, v6)) }), {
        maxLength: 5,
      }),
    ),
    routes: opt(
      fc.array(
        fc.record({
          dst: cidr,
          gw: opt(fc.oneof(v4, v6)),
          mtu: opt(fc.integer({ min: 1, max: 9000 })),
          advmss: opt(fc.integer({ min: 1, max: 9000 })),
          priority: opt(fc.integer({ min: 1, max: 1000 })),
          table: opt(fc.nat(255)),
          scope: opt(fc.constantFrom(0, 253, 254)),
        }),
        { maxLength: 4 },
      ),
    ),
    dns: opt(
      fc.record({
        nameservers: opt(fc.array(v4, { maxLength: 2 })),
        domain: opt(word),
        search: opt(fc.array(word, { maxLength: 2 })),
        options: opt(fc.array(word, { maxLength: 2 })),
      }),
    ),
  })
  // Through the parser, so the value is in canonical form like every real input.
  .map((r) => parseResult(JSON.parse(JSON.stringify({ cniVersion: "1.1.0", ...r }))));

/** convertResult, with a failure turned into a comparable value. */
function attempt(r: AnyResult, to: string): AnyResult | string {
  try {
    return convertResult(r, to);
  } catch (e) {
    return `error ${(e as CniError).code}: ${(e as Error).message}`;
  }
}

const versionPair = fc
  .tuple(fc.constantFrom(...SUPPORTED_VERSIONS), fc.constantFrom(...SUPPORTED_VERSIONS))
  .map(([a, b]): [CniVersion, CniVersion] =>
    SUPPORTED_VERSIONS.indexOf(a) <= SUPPORTED_VERSIONS.indexOf(b) ? [a, b] : [b, a],
  );

describe("conversion properties", () => {
  test("going through a higher version first equals converting directly", () => {
    fc.assert(
      fc.property(arbResult, versionPair, (r, [low, high]) => {
        const viaHigh = attempt(r, high);
        const direct = attempt(r, low);
        if (typeof viaHigh === "string") return;
        assert.deepEqual(attempt(viaHigh, low), direct);
      }),
      { numRuns: 300 },
    );
  });

  test("converting up then back down is the identity", () => {
    fc.assert(
      fc.property(arbResult, versionPair, (r, [low, high]) => {
        const atLow = attempt(r, low);
        if (typeof atLow === "string") return;
        const up = convertResult(atLow, high);
        assert.deepEqual(convertResult(up, low), atLow);
      }),
      { numRuns: 300 },
    );
  });

  test("conversions deep-copy: the input is never mutated nor shared", () => {
    fc.assert(
      fc.property(arbResult, fc.constantFrom(...SUPPORTED_VERSIONS), (r, to) => {
        const before = structuredClone(r);
        const out = attempt(r, to);
        assert.deepEqual(r, before);
        if (typeof out === "string") return;
        // Scribble over every nested object of the output; the input must not see it.
        const scribble = (o: unknown): void => {
          if (typeof o !== "object" || o === null) return;
          for (const v of Object.values(o)) scribble(v);
          if (Array.isArray(o)) o.push("x" as never);
          else (o as Record<string, unknown>)["scribbled"] = true;
        };
        scribble(out);
        assert.deepEqual(r, before);
      }),
      { numRuns: 200 },
    );
  });

  test("printing then parsing gives back the same result, for every version", () => {
    fc.assert(
      fc.property(arbResult, fc.constantFrom(...SUPPORTED_VERSIONS), (r, to) => {
        const out = attempt(r, to);
        if (typeof out === "string") return;
        assert.deepEqual(parseResult(JSON.stringify(resultToJson(out))), out);
      }),
      { numRuns: 200 },
    );
  });
});
