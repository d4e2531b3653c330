// The same ADD/CHECK/DEL/GC/STATUS results through shim → daemon as through direct mode, for every
// supported version, plus the protocol errors, byte for byte (after masking MACs and veth names,
// which are random by design).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { SUPPORTED_VERSIONS } from "../../src/cni/version.js";
import { Lab } from "../dataplane/fixture.js";
import { type PluginRun, quantumBin } from "../helpers/cni-runner.js";
import { testRegistryDir } from "../helpers/registry.js";
import { TestDaemon } from "./daemon.js";

function mask(s: string): string {
  return s.replace(/([0-9a-f]{2}:){5}[0-9a-f]{2}/g, "MAC").replace(/veth[0-9a-f]{8}/g, "VETH");
}

function same(direct: PluginRun, daemon: PluginRun, what: string): void {
  assert.equal(daemon.code, direct.code, `${what}: exit code (daemon stdout: ${daemon.stdout})`);
  assert.equal(mask(daemon.stdout), mask(direct.stdout), `${what}: stdout`);
}

const atLeast = (v: string, min: string) =>
  SUPPORTED_VERSIONS.indexOf(v as never) >= SUPPORTED_VERSIONS.indexOf(min as never);

describe("shim → daemon answers as direct mode", { timeout: 300_000 }, () => {
  let direct: Lab;
  let viaDaemon: Lab;
  let daemon: TestDaemon;
  before(async () => {
    direct = new Lab();
    viaDaemon = new Lab();
    daemon = new TestDaemon(viaDaemon.host.name, { dataDirs: [viaDaemon.dataDir] });
    await daemon.start();
  });
  after(async () => {
    await daemon?.cleanup();
    viaDaemon?.cleanup();
    direct?.cleanup();
  });

  /** Runs the same call in both labs: direct mode has no socket (the shim falls back), the other has the daemon. */
  async function both(call: Parameters<Lab["run"]>[0], nsFor: (lab: Lab) => string | undefined) {
    const d = await direct.run({
      ...call,
      ...netnsOf(nsFor(direct)),
      extraEnv: { QUANTUM_SOCKET: `${daemon.dir}/none.sock` },
    });
    const q = await viaDaemon.run({ ...call, ...netnsOf(nsFor(viaDaemon)), extraEnv: daemon.env });
    return [d, q] as const;
  }
  const netnsOf = (p: string | undefined) => (p === undefined ? {} : { netns: p });

  for (const version of SUPPORTED_VERSIONS) {
    it(`[${version}] ADD, CHECK, STATUS, GC, DEL, DEL again`, async () => {
      const cid = `eq-${version.replace(/\./g, "")}`;
      const nsDirect = direct.container();
      const nsDaemon = viaDaemon.container();
      const pick = (lab: Lab) => (lab === direct ? nsDirect.path : nsDaemon.path);
      const conf = (lab: Lab) => lab.config({ cniVersion: version, name: "eq-net" });
      const run = async (
        command: "ADD" | "CHECK" | "DEL" | "GC" | "STATUS",
        extra: (lab: Lab) => object = () => ({}),
      ) => {
        const d = await direct.run({
          command,
          containerId: cid,
          netns: pick(direct),
          config: { ...conf(direct), ...extra(direct) },
          extraEnv: { QUANTUM_SOCKET: `${daemon.dir}/none.sock` },
        });
        const q = await viaDaemon.run({
          command,
          containerId: cid,
          netns: pick(viaDaemon),
          config: { ...conf(viaDaemon), ...extra(viaDaemon) },
          extraEnv: daemon.env,
        });
        // The two labs differ only in their data dir and bridge name: mask those too.
        const norm = (r: PluginRun, lab: Lab) => ({
          ...r,
          stdout: r.stdout
            .split(lab.dataDir)
            .join("DATADIR")
            .split(String(conf(lab)["bridge"]))
            .join("BRIDGE")
            .split(pick(lab))
            .join("NETNS"),
        });
        same(norm(d, direct), norm(q, viaDaemon), `[${version}] ${command}`);
        return [d, q] as const;
      };
      const [addD, addQ] = await run("ADD");
      assert.equal(addD.code, 0, addD.stdout);
      const prev = (lab: Lab) => ({ prevResult: JSON.parse(lab === direct ? addD.stdout : addQ.stdout) });
      if (atLeast(version, "0.4.0")) await run("CHECK", prev);
      else {
        const [d] = await run("CHECK", prev);
        assert.notEqual(d.code, 0, "CHECK below 0.4.0 is refused");
      }
      const [st] = await run("STATUS");
      assert.equal(st.code === 0, version === "1.1.0", `STATUS at ${version}: ${st.stdout}`);
      await run("GC", () => ({ "cni.dev/valid-attachments": [{ containerID: cid, ifname: "eth0" }] }));
      const [del] = await run("DEL", prev);
      assert.equal(del.code, 0, del.stdout);
      await run("DEL");
      assert.deepEqual(viaDaemon.storeState("eq-net"), { reservations: [], attachments: [] });
    });
  }

  const errorCases: [string, Parameters<Lab["run"]>[0]][] = [
    ["VERSION", { command: "VERSION", config: { cniVersion: "1.0.0" } }],
    [
      "ADD without CNI_IFNAME (4)",
      { command: "ADD", containerId: "x", ifname: "", config: { cniVersion: "1.0.0", name: "n", type: "quantum" } },
    ],
    [
      "ADD with an unsupported version (1)",
      { command: "ADD", containerId: "x", config: { cniVersion: "9.0.0", name: "n", type: "quantum" } },
    ],
    ["ADD with invalid JSON (6)", { command: "ADD", containerId: "x", config: "{not json" }],
    ["ADD without a name (7)", { command: "ADD", containerId: "x", config: { cniVersion: "1.0.0", type: "quantum" } }],
    ["GC at 1.0.0 (1)", { command: "GC", config: { cniVersion: "1.0.0", name: "n", type: "quantum" } }],
    [
      "a bad container id (4)",
      { command: "DEL", containerId: "-bad id", config: { cniVersion: "1.0.0", name: "n", type: "quantum" } },
    ],
  ];
  for (const [what, call] of errorCases) {
    it(`${what}: identical bytes`, async () => {
      const [d, q] = await both(call, (lab) => lab.container().path);
      assert.equal(q.code, d.code);
      assert.equal(q.stdout, d.stdout);
    });
  }

  it("the daemon, not a fallback, answered the daemon lab's calls", () => {
    const adds = daemon.log
      .split("\n")
      .filter((l) => l.includes('"msg":"cni request"') && l.includes('"command":"ADD"'));
    assert.ok(adds.length >= SUPPORTED_VERSIONS.length, `ADD log lines: ${adds.length}`);
  });

  it("CNI_COMMAND unset: exit 0, the about line on stderr, nothing on stdout", async () => {
    const { spawnSync } = await import("node:child_process");
    const r = spawnSync("nsenter", [`--net=/run/netns/${viaDaemon.host.name}`, quantumBin], {
      env: { PATH: process.env["PATH"] ?? "", QUANTUM_REGISTRY_DIR: testRegistryDir(), ...daemon.env },
      encoding: "utf8",
    });
    assert.equal(r.status, 0);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /CNI protocol versions supported/);
  });
});
