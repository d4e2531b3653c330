/**
 * Issue 10, "it must show": a property test over every config key of quantum and every CNI_*
 * variable, through bin/quantum as a runtime drives it, in direct mode and through the daemon.
 * Each generated case (under ADD, DEL or CHECK) breaks exactly one input (wrong type, too long, control characters incl.
 * NUL where exec allows it, "..", relative paths, duplicate keys, unknown values); it must get its
 * code (7 config, 4 env, 1 version, 6 undecodable), exit ≠ 0, a message under 1000 characters
 * (never an echo of a huge value), and leave nothing: no link in the container or host netns, no
 * file added to the data dir (no store made; the daemon's may exist, and stays empty), nothing at
 * a relative path. A NUL byte, which exec cannot carry,
 * is sent to the daemon's socket directly. Bounded: 20 cases per mode (a few seconds).
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { Lab } from "../dataplane/fixture.js";
import { ipJson } from "../helpers/netns.js";
import { TestDaemon } from "../server/daemon.js";

const isRoot = process.getuid?.() === 0;

interface BadCase {
  what: string;
  code: number;
  /** Replaces config keys (undefined removes one). */
  config?: Record<string, unknown>;
  /** Raw stdin text instead of the JSON of the config. */
  text?: (base: Record<string, unknown>) => string;
  env?: Record<string, string>;
  /** Relative paths that must not exist afterwards. */
  relative?: string;
}

const letters = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789"), minLength: min, maxLength: max });
/** Control characters exec can carry (no NUL). */
const control = fc.constantFrom("\n", "\t", "\r", "\u0001", "\u001b", "\u007f");
const withControl = fc.tuple(letters(1, 8), control, letters(0, 8)).map(([a, c, b]) => `${a}${c}${b}`);
const badBool = fc.oneof(fc.constant("yes"), fc.integer(), fc.constant(null), fc.constant([]));

/** One bad value per quantum config key. */
const configCases: fc.Arbitrary<BadCase>[] = [
  letters(129, 300).map((v) => ({ what: "name too long", code: 7, config: { name: v } })),
  withControl.map((v) => ({ what: "name with a control character", code: 7, config: { name: v } })),
  fc.constant({ what: "name not a string", code: 6, config: { name: 42 } }),
  fc
    .constantFrom("9.9.9", "0.0.1")
    .map((v) => ({ what: "unsupported cniVersion", code: 1, config: { cniVersion: v } })),
  letters(1, 10).map((v) => ({ what: "unknown driver", code: 7, config: { driver: `x${v}` } })),
  fc
    .constantFrom("10.0.0.0/33", "10.0.0.1/24", "x", "10.0.0.0/24\n")
    .map((v) => ({ what: "bad subnet", code: 7, config: { subnet: v } })),
  fc.constant({
    what: "two IPv4 subnets",
    code: 7,
    config: { subnet: undefined, subnets: ["10.1.0.0/24", "10.2.0.0/24"] },
  }),
  fc
    .constantFrom("10.99.0.1", "fd00::1", "nope")
    .map((v) => ({ what: "gateway outside", code: 7, config: { gateway: v } })),
  fc
    .constantFrom([{ dst: "x" }], [{ dst: "0.0.0.0/0", gw: "fd00::1" }], "r")
    .map((v) => ({ what: "bad routes", code: 7, config: { routes: v } })),
  fc
    .oneof(letters(16, 40), withControl, fc.constant("a/b"), fc.constant(".."))
    .map((v) => ({ what: "bad bridge", code: 7, config: { bridge: v } })),
  fc
    .oneof(fc.integer({ min: -5, max: 67 }), fc.integer({ min: 65536, max: 1e7 }), fc.constant("1500"))
    .map((v) => ({ what: "bad mtu", code: 7, config: { mtu: v } })),
  fc
    .tuple(
      fc.constantFrom("ipMasq", "hairpinMode", "promiscMode", "isGateway", "isDefaultGateway", "forceAddress"),
      badBool,
    )
    .map(([k, v]) => ({ what: `bad ${k}`, code: 7, config: { [k]: v } })),
  letters(1, 10).map((v) => ({ what: "unknown isolation", code: 7, config: { isolation: `x${v}` } })),
  fc.oneof(letters(16, 30), withControl).map((v) => ({ what: "bad master", code: 7, config: { master: v } })),
  letters(1, 10).map((v) => ({ what: "unknown macvlanMode", code: 7, config: { macvlanMode: `x${v}` } })),
  fc
    .oneof(
      letters(1, 12).map((v) => ({ v: `qfuzz-${v}/d`, rel: `qfuzz-${v}` })),
      letters(1, 12).map((v) => ({ v: `/tmp/${v}/../../etc`, rel: undefined })),
      withControl.map((v) => ({ v: `/tmp/${v}`, rel: undefined })),
      fc.constant({ v: "/", rel: undefined }),
      fc.integer({ min: 4001, max: 20000 }).map((n) => ({ v: `/${"d".repeat(n)}`, rel: undefined })),
    )
    .map(({ v, rel }) => ({ what: "bad dataDir", code: 7, config: { dataDir: v }, ...(rel ? { relative: rel } : {}) })),
  fc
    .oneof(
      letters(1, 12).map((v) => `qfuzz-${v}.sock`),
      fc.integer({ min: 108, max: 400 }).map((n) => `/${"s".repeat(n)}`),
      withControl.map((v) => `/tmp/${v}.sock`),
    )
    .map((v) => ({ what: "bad socketPath", code: 7, config: { socketPath: v } })),
  fc.constantFrom("dataDir", "name", "subnet", "bridge").map((k) => ({
    what: `duplicate key ${k}`,
    code: 7,
    text: (base: Record<string, unknown>) =>
      JSON.stringify(base).replace(/}$/, `,${JSON.stringify(k)}:${JSON.stringify(base[k])}}`),
  })),
];

/** One bad value per CNI_* variable. */
const envCases: fc.Arbitrary<BadCase>[] = [
  fc
    .oneof(letters(256, 400), withControl, fc.constant("a/b"), fc.constant("-x"))
    .map((v) => ({ what: "bad CNI_CONTAINERID", code: 4, env: { CNI_CONTAINERID: v } })),
  fc
    .oneof(letters(16, 40), withControl, fc.constant("a/b"), fc.constant(".."))
    .map((v) => ({ what: "bad CNI_IFNAME", code: 4, env: { CNI_IFNAME: v } })),
  fc
    .oneof(
      letters(1, 10).map((v) => `run/netns/${v}`),
      withControl.map((v) => `/run/netns/${v}`),
      fc.constant(`/${"n".repeat(5000)}`),
    )
    .map((v) => ({ what: "bad CNI_NETNS", code: 4, env: { CNI_NETNS: v } })),
  fc
    .oneof(
      fc.constant("junk"),
      fc.constant("A=1=2"),
      letters(1, 8).map((k) => `X${k}=1`),
      fc.constant(`IgnoreUnknown=1;A=${"v".repeat(70_000)}`),
    )
    .map((v) => ({ what: "bad CNI_ARGS", code: 4, env: { CNI_ARGS: v } })),
  fc.constant({ what: "huge CNI_PATH", code: 4, env: { CNI_PATH: `/${"p".repeat(70_000)}` } }),
  letters(1, 8).map((v) => ({ what: "unknown CNI_COMMAND", code: 4, env: { CNI_COMMAND: `X${v}` } })),
];

const badCase = fc.oneof(...configCases, ...envCases);

for (const mode of ["direct", "daemon"] as const) {
  describe(`[${mode}] every bad config key and CNI_* variable is refused`, {
    skip: isRoot ? false : "needs root",
    timeout: 180_000,
  }, () => {
    let lab: Lab;
    let daemon: TestDaemon | undefined;
    let env: Record<string, string>;
    before(async () => {
      lab = new Lab();
      if (mode === "daemon") {
        daemon = new TestDaemon(lab.host.name, { dataDirs: [lab.dataDir] });
        await daemon.start();
        env = daemon.env;
      } else env = { QUANTUM_SOCKET: `${lab.dataDir}/none.sock` };
    });
    after(async () => {
      await daemon?.cleanup();
      lab?.cleanup();
    });

    it("gets the right code, exit ≠ 0, a bounded message, and leaves nothing", async () => {
      const ns = lab.container();
      // The daemon's start-up reconcile may have opened a store there; bad input adds nothing.
      const files = readdirSync(lab.dataDir).sort();
      await fc.assert(
        fc.asyncProperty(badCase, fc.constantFrom("ADD", "DEL", "CHECK"), async (c, verb) => {
          const base = lab.config({ name: "fuzz-net", subnet: "10.87.0.0/24", gateway: "10.87.0.1" });
          const config = { ...base, ...c.config };
          for (const [k, v] of Object.entries(c.config ?? {})) if (v === undefined) delete config[k];
          const r = await lab.run({
            command: (c.env?.["CNI_COMMAND"] as "ADD") ?? verb,
            containerId: c.env?.["CNI_CONTAINERID"] ?? "fuzz-ctr",
            netns: c.env?.["CNI_NETNS"] ?? ns.path,
            ifname: c.env?.["CNI_IFNAME"] ?? "eth0",
            ...(c.env?.["CNI_PATH"] ? { cniPath: c.env["CNI_PATH"] } : {}),
            ...(c.env?.["CNI_ARGS"] ? { args: c.env["CNI_ARGS"] } : {}),
            config: c.text ? c.text(base) : config,
            extraEnv: env,
          });
          const what = `${verb} ${c.what}: ${r.stdout.slice(0, 300)}`;
          assert.notEqual(r.code, 0, what);
          const err = JSON.parse(r.stdout) as { code: number; msg: string };
          assert.equal(err.code, c.code, what);
          assert.ok(r.stdout.length < 1000, `${c.what}: answer of ${r.stdout.length} bytes`);
          assert.deepEqual(
            ipJson<{ ifname: string }[]>(ns.name, ["link", "show"]).map((l) => l.ifname),
            ["lo"],
            `${c.what}: no link in the container`,
          );
          assert.deepEqual(
            lab
              .hostLinks()
              .filter((l) => l.ifname !== "lo")
              .map((l) => l.ifname),
            [],
            `${c.what}: no bridge or veth in the host`,
          );
          assert.deepEqual(readdirSync(lab.dataDir).sort(), files, `${c.what}: no file added to the data dir`);
          if (c.relative) assert.equal(existsSync(resolve(c.relative)), false, `${c.what}: nothing at ${c.relative}`);
        }),
        {
          numRuns: Number(process.env["QUANTUM_FUZZ_RUNS"] ?? 20),
          seed: Number(process.env["QUANTUM_FUZZ_SEED"] ?? Date.now() % 100_000),
        },
      );
      if (files.length > 0) assert.deepEqual(lab.storeState("fuzz-net"), { reservations: [], attachments: [] });
    });

    if (mode === "daemon") {
      it("a NUL in CNI_IFNAME sent to the socket is code 4, not 999", async () => {
        const stdin = JSON.stringify(lab.config({ name: "fuzz-net" }));
        for (const [k, v] of [
          ["CNI_IFNAME", "eth\u00000"],
          ["CNI_CONTAINERID", "c\u00001"],
          ["CNI_NETNS", "/run/netns/x\u0000y"],
        ] as const) {
          const body = {
            v: 1,
            env: {
              CNI_COMMAND: "ADD",
              CNI_CONTAINERID: "c1",
              CNI_NETNS: "/run/netns/x",
              CNI_IFNAME: "eth0",
              CNI_PATH: "/opt/cni/bin",
              [k]: v,
            },
            stdin,
          };
          const reply = await daemon!.http("POST", "/v1/cni", JSON.stringify(body));
          const out = JSON.parse(reply.body.split("\n")[0]!) as { code: number; msg: string };
          assert.equal(out.code, 4, `${k}: ${reply.body}`);
          assert.match(out.msg, new RegExp(k));
        }
      });
    }
  });
}
