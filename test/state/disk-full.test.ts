/**
 * Issue 10, finding 6: a full disk. The data dir is a 1 MiB tmpfs mounted inside a private mount
 * namespace that only this test's plugin calls enter (a `sleep` holder, killed by its pid): the
 * machine's own disks are never filled. With the tmpfs full, ADD answers 11 (try again later)
 * naming the full disk and the data dir and leaves nothing (no link, no reservation, no record);
 * STATUS is not ready (50); once space is freed, STATUS is ready and ADD works. In direct mode and
 * through a daemon running in the same mount namespace.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Lab, resultIp } from "../dataplane/fixture.js";
import { quantumBin } from "../helpers/cni-runner.js";
import { ipJson } from "../helpers/netns.js";
import { runProcess } from "../helpers/process.js";
import { TestDaemon } from "../server/daemon.js";

const isRoot = process.getuid?.() === 0;

for (const mode of ["direct", "daemon"] as const)
  describe(`[${mode}] a full disk under the data dir`, {
    skip: isRoot ? false : "needs root",
    timeout: 120_000,
  }, () => {
    let lab: Lab;
    let daemon: TestDaemon | undefined;
    let env: Record<string, string> = {};
    let holder: ChildProcess | undefined;
    let tools: string;
    let wrapper: string;
    const conf = () => lab.config({ name: "full-net", subnet: "10.86.0.0/24", gateway: "10.86.0.1" });
    /** Runs a command inside the private mount namespace. */
    const inMountNs = (cmd: string, args: string[]) =>
      runProcess("nsenter", [`--mount=/proc/${holder!.pid}/ns/mnt`, cmd, ...args]);
    const run = (command: "ADD" | "DEL" | "STATUS", id: string, netns: string, config: unknown = conf()) =>
      lab.run({
        command,
        containerId: id,
        netns,
        config,
        bin: wrapper,
        extraEnv: env,
      });
    /** The store as the plugin sees it (inside the mount namespace). */
    const storeState = async () => {
      const out = await inMountNs(process.execPath, [join(tools, "state.mjs"), lab.dataDir]);
      assert.equal(out.code, 0, out.stderr);
      return JSON.parse(out.stdout) as { reservations: string[]; attachments: string[] };
    };

    before(async () => {
      lab = new Lab();
      tools = mkdtempSync(join(tmpdir(), "qfull-"));
      chmodSync(tools, 0o755);
      holder = spawn("unshare", ["--mount", "--propagation", "slave", "sleep", "infinity"], { stdio: "ignore" });
      await new Promise((r) => setTimeout(r, 200));
      const mounted = await inMountNs("mount", ["-t", "tmpfs", "-o", "size=1m", "qfull", lab.dataDir]);
      assert.equal(mounted.code, 0, mounted.stderr);
      wrapper = join(tools, "quantum");
      writeFileSync(wrapper, `#!/bin/sh\nexec nsenter --mount=/proc/${holder.pid}/ns/mnt ${quantumBin} "$@"\n`);
      chmodSync(wrapper, 0o755);
      const sqlite = new URL("../../../node_modules/better-sqlite3/lib/index.js", import.meta.url).pathname;
      writeFileSync(
        join(tools, "state.mjs"),
        `import { createRequire } from "node:module";
const D = createRequire(import.meta.url)(${JSON.stringify(sqlite)});
const db = new D(process.argv[2] + "/quantum.db", { readonly: true });
const reservations = db.prepare("SELECT container_id || '/' || ifname || '=' || ip AS r FROM reservations").all().map((x) => x.r);
const attachments = db.prepare("SELECT container_id || '/' || ifname AS a FROM attachments").all().map((x) => x.a);
console.log(JSON.stringify({ reservations, attachments }));\n`,
      );
      env = { QUANTUM_SOCKET: join(tools, "none") };
      if (mode === "daemon") {
        daemon = new TestDaemon(lab.host.name, { dataDirs: [lab.dataDir], mountNsOfPid: holder.pid! });
        await daemon.start();
        env = daemon.env;
      }
    });
    after(async () => {
      await daemon?.cleanup();
      if (holder?.pid && holder.exitCode === null) {
        holder.kill("SIGKILL");
        await new Promise((r) => holder!.once("exit", r));
      }
      lab?.cleanup();
      if (tools) rmSync(tools, { recursive: true, force: true });
    });

    it("ADD answers 11 naming the full disk and the data dir, and leaves nothing", async () => {
      const first = lab.container();
      const ok = await run("ADD", "ctr-1", first.path);
      assert.equal(ok.code, 0, ok.stdout);
      // Fill what is left of the tmpfs (dd stops at ENOSPC).
      await inMountNs("dd", ["if=/dev/zero", `of=${join(lab.dataDir, "filler")}`, "bs=4k"]);
      const ns = lab.container();
      const r = await run("ADD", "ctr-2", ns.path);
      assert.equal(r.code, 1, r.stdout);
      const err = JSON.parse(r.stdout) as { code: number; msg: string };
      assert.equal(err.code, 11, err.msg);
      // Through the daemon when there is one: its log has the calls.
      if (daemon) await daemon.waitLog(/"command":"ADD"/);
      assert.match(err.msg, /is full/);
      assert.ok(err.msg.includes(lab.dataDir), err.msg);
      assert.equal(ipJson<unknown[]>(ns.name, ["link", "show"]).length, 1, "no link made in the container");
      assert.equal(lab.hostLinks().filter((l) => l.ifname.startsWith("veth")).length, 1, "one host veth (ctr-1)");
    });

    it("STATUS is not ready while no write can succeed", async () => {
      const r = await run("STATUS", "", "", { ...conf(), cniVersion: "1.1.0" });
      assert.equal(r.code, 1, r.stdout);
      const err = JSON.parse(r.stdout) as { code: number; msg: string };
      assert.equal(err.code, 50, err.msg);
      assert.match(err.msg, /full/);
    });

    it("after space is freed: STATUS ready, ADD works, the failed ADD left no reservation", async () => {
      await inMountNs("rm", ["-f", join(lab.dataDir, "filler")]);
      const status = await run("STATUS", "", "", { ...conf(), cniVersion: "1.1.0" });
      assert.equal(status.code, 0, status.stdout);
      const ns = lab.containers[1]!;
      const r = await run("ADD", "ctr-2", ns.path);
      assert.equal(r.code, 0, r.stdout);
      const state = await storeState();
      assert.deepEqual(state.attachments.sort(), ["ctr-1/eth0", "ctr-2/eth0"]);
      assert.deepEqual(state.reservations.sort(), ["ctr-1/eth0=10.86.0.2", `ctr-2/eth0=${resultIp(r.json!)}`].sort());
      for (const [id, n] of [
        ["ctr-1", lab.containers[0]!],
        ["ctr-2", ns],
      ] as const)
        assert.equal((await run("DEL", id, n.path)).code, 0);
    });
  });
