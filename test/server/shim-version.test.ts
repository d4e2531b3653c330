// VERSION is answered by the C shim itself (native/shim.c, the answer generated from
// src/cni/version.ts at build time). For a table of inputs (stdin with a supported, unsupported,
// malformed or no cniVersion; env that other verbs would refuse), the shim's bytes and exit code
// equal the TypeScript answer: cniMain in-process, bin/quantum-direct, and quantumd over its
// socket. And the shim answers without connecting anywhere or starting a daemon.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { cniMain, type PluginHandlers, SUPPORTED_VERSIONS } from "../../src/cni/index.js";
import { binDir, quantumBin } from "../helpers/cni-runner.js";
import { createTestNetns, deleteTestNetns, type TestNetns } from "../helpers/netns.js";
import { testRegistryDir } from "../helpers/registry.js";
import { TestDaemon } from "./daemon.js";

interface Answer {
  code: number | null;
  stdout: string;
}

interface Case {
  what: string;
  env: Record<string, string>;
  /** undefined: stdin is /dev/null. */
  stdin?: string;
}

const V = { CNI_COMMAND: "VERSION" };
const CASES: Case[] = [
  { what: "no stdin", env: V },
  { what: "empty stdin", env: V, stdin: "" },
  ...SUPPORTED_VERSIONS.map((v) => ({
    what: `stdin cniVersion ${v}`,
    env: V,
    stdin: JSON.stringify({ cniVersion: v }),
  })),
  { what: "stdin with an unsupported cniVersion", env: V, stdin: '{"cniVersion":"9.9.9"}' },
  { what: "stdin with an empty cniVersion", env: V, stdin: '{"cniVersion":""}' },
  { what: "stdin with a cniVersion that is a number", env: V, stdin: '{"cniVersion":42}' },
  { what: "stdin without cniVersion", env: V, stdin: '{"name":"n","type":"quantum"}' },
  { what: "malformed stdin", env: V, stdin: '{"cniVersion":"1.0.0"' },
  { what: "stdin that is not JSON", env: V, stdin: "not json at all\n" },
  {
    what: "libcni's probe",
    env: { ...V, CNI_NETNS: "dummy", CNI_IFNAME: "dummy", CNI_PATH: "dummy" },
    stdin: '{"cniVersion":"1.1.0"}',
  },
  {
    what: "env other verbs refuse (bad ifname, container id, CNI_ARGS)",
    env: { ...V, CNI_IFNAME: "a/b", CNI_CONTAINERID: "-bad id", CNI_ARGS: "garbage;;" },
    stdin: '{"cniVersion":"1.0.0"}',
  },
  {
    what: "a full config with socketPath and autostart",
    env: V,
    stdin: '{"cniVersion":"0.4.0","name":"n","socketPath":"/nonexistent/q.sock","autostart":"bogus"}',
  },
];

/** Not VERSION (the verb is case-sensitive): the shim forwards it, and the answers still agree. */
const NOT_VERSION: Case = { what: 'CNI_COMMAND "version" (lowercase)', env: { CNI_COMMAND: "version" }, stdin: "{}" };

const refuse = (): never => {
  throw new Error("VERSION must not reach a handler");
};
const HANDLERS: PluginHandlers = { add: refuse, del: refuse, check: refuse, gc: refuse, status: refuse };

/** The TypeScript answer: cniMain in this process. */
async function tsAnswer(c: Case): Promise<Answer> {
  let stdout = "";
  const code = await cniMain(HANDLERS, {
    env: c.env,
    stdin: Buffer.from(c.stdin ?? ""),
    stdout: (s) => {
      stdout += s;
    },
    stderr: () => undefined,
  });
  return { code, stdout };
}

function exec(
  bin: string,
  env: Record<string, string>,
  stdin: string | undefined,
  wrap: string[] = [],
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const [cmd, args] = wrap.length > 0 ? ["nsenter", [...wrap, bin]] : [bin, []];
    const child = spawn(cmd as string, args as string[], {
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", QUANTUM_REGISTRY_DIR: testRegistryDir(), ...env },
      stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "ignore"],
    });
    let stdout = "";
    child.stdout!.on("data", (b: Buffer) => {
      stdout += b.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout }));
    if (child.stdin) {
      child.stdin.on("error", () => undefined); // the shim does not read stdin for VERSION
      child.stdin.end(stdin);
    }
  });
}

describe("VERSION in the shim", { timeout: 120_000 }, () => {
  let dir: string;
  let host: TestNetns | undefined;
  let daemon: TestDaemon | undefined;
  let fake: Server | undefined;
  let fakeConnections = 0;
  const fakeSocket = () => join(dir, "fake.sock");
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "qshimv-"));
    host = createTestNetns("qshimv");
    daemon = new TestDaemon(host.name, { dataDirs: [] });
    await daemon.start();
    fake = createServer((s) => {
      fakeConnections++;
      s.destroy();
    });
    await new Promise<void>((r) => fake!.listen(fakeSocket(), r));
  });
  after(async () => {
    await new Promise((r) => (fake ? fake.close(r) : r(undefined)));
    await daemon?.cleanup();
    if (host) deleteTestNetns(host);
    rmSync(dir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    it(`${c.what}: the shim's bytes equal cniMain's, quantum-direct's and quantumd's`, async () => {
      const ts = await tsAnswer(c);
      assert.equal(ts.code, 0);
      assert.deepEqual(JSON.parse(ts.stdout), { cniVersion: "1.1.0", supportedVersions: [...SUPPORTED_VERSIONS] });
      const noDaemon = await exec(
        quantumBin,
        {
          ...c.env,
          QUANTUM_SOCKET: join(dir, "absent.sock"),
          QUANTUM_AUTOSTART: "1",
        },
        c.stdin,
      );
      assert.deepEqual(noDaemon, ts, "shim, no daemon");
      const withDaemon = await exec(quantumBin, { ...c.env, ...daemon!.env }, c.stdin, [`--net=${host!.path}`]);
      assert.deepEqual(withDaemon, ts, "shim, daemon running");
      const direct = await exec(join(binDir, "quantum-direct"), c.env, c.stdin);
      assert.deepEqual(direct, ts, "quantum-direct");
      const viaDaemon = await daemon!.http(
        "POST",
        "/v1/cni",
        JSON.stringify({ v: 1, env: c.env, stdin: c.stdin ?? "" }),
      );
      assert.equal(viaDaemon.headers["x-cni-exit"], "0");
      assert.equal(viaDaemon.body, ts.stdout, "quantumd");
    });
  }

  it(`${NOT_VERSION.what}: forwarded, and the error equals cniMain's`, async () => {
    const ts = await tsAnswer(NOT_VERSION);
    assert.equal(ts.code, 1);
    assert.match(ts.stdout, /"code":4/);
    const shim = await exec(
      quantumBin,
      { ...NOT_VERSION.env, QUANTUM_SOCKET: join(dir, "absent.sock"), QUANTUM_AUTOSTART: "0" },
      NOT_VERSION.stdin,
    );
    assert.deepEqual(shim, ts);
  });

  it("never connects, never starts a daemon", async () => {
    const before = fakeConnections;
    const r = await exec(quantumBin, { ...V, QUANTUM_SOCKET: fakeSocket(), QUANTUM_AUTOSTART: "1" }, "{}");
    assert.equal(r.code, 0);
    assert.equal(fakeConnections, before, "no connection to the socket");
    const absent = join(dir, "never.sock");
    await exec(quantumBin, { ...V, QUANTUM_SOCKET: absent, QUANTUM_AUTOSTART: "1" }, "{}");
    assert.equal(existsSync(`${absent}.lock`), false, "no autostart lock taken");
    assert.equal(existsSync(absent), false);
    // The cost as a figure for the log, never an assertion (timings belong in benchmarks).
    const ms: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      await exec(quantumBin, V, undefined);
      ms.push(performance.now() - t0);
    }
    ms.sort((a, b) => a - b);
    console.log(`# shim VERSION incl. spawn: median ${ms[15]?.toFixed(2)} ms over 30 calls`);
  });
});
