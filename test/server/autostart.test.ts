// Autostart: a user who never started quantumd. 20 racing first ADDs on a socket with no daemon
// (a stale socket file, as a crashed daemon leaves) start exactly one quantumd, detached in its own
// session; the call that started it is served in-process, the other 19 by the daemon; it outlives
// the calls, exits after its configured idle period and removes its socket; the next call starts
// a new one. QUANTUM_AUTOSTART=0 and "autostart": false keep every call in-process; a start that
// never became ready is not retried at once; bad settings are clear errors.
// Everything runs in a private host netns (Lab); every daemon a shim starts here is found by its
// command line (quantumd.js --socket <our socket>) and SIGKILLed by pid in the after hook.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Lab, resultIp } from "../dataplane/fixture.js";
import { binDir, type PluginRun, quantumBin } from "../helpers/cni-runner.js";
import type { TestNetns } from "../helpers/netns.js";
import { TestDaemon } from "./daemon.js";
import { alive, daemonsOn, killDaemons, until } from "./find-daemons.js";

/** ppid, process group and session of pid (fields 4-6 of /proc/pid/stat, after the command name). */
function statIds(pid: number): { ppid: number; pgrp: number; session: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const [, ppid, pgrp, session] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { ppid: Number(ppid), pgrp: Number(pgrp), session: Number(session) };
}

/** How many requests the daemon's log shows for a command (it logs one line per request). */
function daemonRequests(log: string, command: string): number {
  return log.split("\n").filter((l) => l.includes('"msg":"cni request"') && l.includes(`"command":"${command}"`))
    .length;
}

describe("autostart", { timeout: 180_000 }, () => {
  let lab: Lab;
  let sockDir: string;
  const sockets: string[] = [];
  const socket = (name: string): string => {
    const p = join(sockDir, `${name}.sock`);
    sockets.push(p);
    return p;
  };
  before(() => {
    lab = new Lab();
    sockDir = mkdtempSync(join(tmpdir(), "qauto-"));
  });
  after(async () => {
    // Every daemon a shim started here, whatever happened to the test.
    await killDaemons(sockets).catch(() => undefined);
    rmSync(sockDir, { recursive: true, force: true });
    lab?.cleanup();
  });

  const run = (
    command: "ADD" | "DEL",
    cid: string,
    ns: TestNetns,
    config: unknown,
    env: Record<string, string>,
  ): Promise<PluginRun> => lab.run({ command, containerId: cid, netns: ns.path, config, extraEnv: env });

  describe("20 racing first calls", () => {
    let sock: string;
    let env: Record<string, string>;
    const conf = () => lab.config({ subnet: "10.93.0.0/24", gateway: "10.93.0.1", idleExitSeconds: 3 });
    const cs: { cid: string; ns: TestNetns; ip?: string }[] = [];
    let daemonPid = 0;
    const log = () => readFileSync(join(lab.dataDir, "quantumd.log"), "utf8");

    before(() => {
      sock = socket("race");
      // A generous wait: which calls the daemon serves must not depend on the machine's load.
      env = { QUANTUM_AUTOSTART: "1", QUANTUM_SOCKET: sock, QUANTUM_AUTOSTART_WAIT_MS: "30000" };
      for (let i = 0; i < 20; i++) cs.push({ cid: `race-${i}`, ns: lab.container() });
    });

    it("a stale socket file, 20 ADDs at once: all succeed, one daemon starts, in its own session", async () => {
      // What a SIGKILLed daemon leaves: a socket file nobody listens on (connect: ECONNREFUSED).
      execFileSync("python3", ["-c", "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", sock]);
      assert.ok(existsSync(sock));
      const runs = await Promise.all(cs.map((c) => run("ADD", c.cid, c.ns, conf(), env)));
      for (const [i, r] of runs.entries()) {
        assert.equal(r.code, 0, `${cs[i]!.cid}: ${r.stdout} ${r.stderr}`);
        const ip = resultIp(r.json!);
        assert.deepEqual(lab.addrs(cs[i]!.ns), [ip], `${cs[i]!.cid} has its address (ip -j addr)`);
        cs[i]!.ip = ip;
      }
      assert.equal(new Set(cs.map((c) => c.ip)).size, 20, "20 distinct addresses");
      const pids = daemonsOn(sock);
      assert.equal(pids.length, 1, `exactly one daemon: ${pids.join(" ")}`);
      daemonPid = pids[0]!;
      assert.equal(readFileSync(`${sock}.lock`, "utf8"), `${daemonPid} ready\n`, "the lock file names it");
      // setsid in the launcher, then a second fork: a session of its own (not the runtime's), and
      // no longer the child of any call (the launcher exited at once).
      const ids = statIds(daemonPid);
      assert.notEqual(ids.session, statIds(process.pid).session, "not in the caller's session");
      assert.equal(ids.pgrp, ids.session, "its own process group, made by setsid");
      assert.notEqual(ids.session, daemonPid, "not a session leader: it can never get a controlling tty");
      const parent = readFileSync(`/proc/${ids.ppid}/cmdline`, "utf8");
      assert.doesNotMatch(parent, /quantum/, `its parent (${ids.ppid}) is no call of ours: ${parent}`);
      const argv = readFileSync(`/proc/${daemonPid}/cmdline`, "utf8").split("\0");
      assert.deepEqual(argv.slice(argv.indexOf("--data-dir"), argv.indexOf("--data-dir") + 2), [
        "--data-dir",
        lab.dataDir,
      ]);
      assert.deepEqual(argv.slice(argv.indexOf("--idle-exit"), argv.indexOf("--idle-exit") + 2), ["--idle-exit", "3"]);
    });

    it("the starter was served in-process, the other 19 by the daemon, which outlives the calls", async () => {
      await until("19 ADDs in the daemon's log", () => daemonRequests(log(), "ADD") >= 19, 10_000);
      assert.equal(daemonRequests(log(), "ADD"), 19);
      assert.equal(lab.storeState().attachments.length, 20, "one store: the in-process ADD is there too");
      assert.ok(alive(daemonPid), "still running after every call returned");
      assert.ok(existsSync(sock));
    });

    it("exits after the idle period (3 s here), cleanly, and removes its socket", async () => {
      await until("the idle exit", () => !alive(daemonPid), 30_000);
      assert.equal(existsSync(sock), false, "socket removed");
      assert.match(log(), /"idleExitSeconds":3,"msg":"idle: closing the socket and exiting"/);
      assert.match(log(), /"msg":"stopped"/);
      assert.deepEqual(daemonsOn(sock), []);
    });

    it("the next calls start a new daemon (idle period from QUANTUM_IDLE_EXIT_SECONDS); DELs leave nothing", async () => {
      const { idleExitSeconds: _, ...delConf } = conf();
      const delEnv = { ...env, QUANTUM_IDLE_EXIT_SECONDS: "2" };
      for (const c of cs) {
        const r = await run("DEL", c.cid, c.ns, delConf, delEnv);
        assert.equal(r.code, 0, `DEL ${c.cid}: ${r.stdout} ${r.stderr}`);
      }
      const pids = daemonsOn(sock);
      assert.equal(pids.length, 1, `one new daemon: ${pids.join(" ")}`);
      assert.notEqual(pids[0], daemonPid);
      const argv = readFileSync(`/proc/${pids[0]}/cmdline`, "utf8").split("\0");
      assert.equal(argv[argv.indexOf("--idle-exit") + 1], "2");
      // The DEL fast path deletes links after answering: the idle exit waits for that work.
      await until("the second daemon's idle exit", () => !alive(pids[0]!), 30_000);
      assert.ok(daemonRequests(log(), "DEL") >= 19, "the later DELs went to the daemon");
      lab.assertNothingLeft("10.93.0.", "after the DELs");
    });
  });

  describe("a quantumd started by hand (or by systemd) while an autostarted one holds the socket", () => {
    let daemon: TestDaemon;
    before(() => {
      daemon = new TestDaemon(lab.host.name, { dataDirs: [lab.dataDir] });
      sockets.push(daemon.socket);
    });
    after(async () => {
      await daemon?.cleanup();
    });

    it("takes it over: the autostarted one hands over and exits, and calls keep being served", async () => {
      const env = { QUANTUM_AUTOSTART: "1", QUANTUM_SOCKET: daemon.socket, QUANTUM_AUTOSTART_WAIT_MS: "30000" };
      const conf = lab.config({
        name: "takeover-net",
        bridge: `qt${lab.host.name.slice(-8)}`,
        subnet: "10.96.0.0/24",
        gateway: "10.96.0.1",
      });
      const ns1 = lab.container();
      const first = await run("ADD", "to-1", ns1, conf, env);
      assert.equal(first.code, 0, first.stdout + first.stderr);
      await until(
        "the autostarted daemon",
        () => existsSync(`${daemon.socket}.lock`) && /ready\n$/.test(readFileSync(`${daemon.socket}.lock`, "utf8")),
        30_000,
      );
      const [autostarted] = daemonsOn(daemon.socket);
      assert.ok(autostarted !== undefined);
      await daemon.start();
      await until("the hand-over", () => !alive(autostarted), 20_000);
      assert.equal((await daemon.status())["pid"], daemon.pid, "the daemon started by hand answers now");
      await daemon.waitLog(/took the socket over from an autostarted quantumd/);
      assert.match(readFileSync(join(lab.dataDir, "quantumd.log"), "utf8"), /handing the socket over/);
      const ns2 = lab.container();
      const second = await run("ADD", "to-2", ns2, conf, env);
      assert.equal(second.code, 0, second.stdout + second.stderr);
      assert.deepEqual(lab.addrs(ns2), [resultIp(second.json!)]);
      await daemon.waitLog(/"command":"ADD"/);
      for (const [cid, ns] of [
        ["to-1", ns1],
        ["to-2", ns2],
      ] as const) {
        const del = await run("DEL", cid, ns, conf, env);
        assert.equal(del.code, 0, del.stdout);
      }
      assert.deepEqual(daemonsOn(daemon.socket), [daemon.pid], "one daemon left: the one started by hand");
    });
  });

  describe("turned off, or backing off", () => {
    const conf = (extra: Record<string, unknown> = {}) =>
      lab.config({
        name: "off-net",
        bridge: `qo${lab.host.name.slice(-8)}`,
        subnet: "10.94.0.0/24",
        gateway: "10.94.0.1",
        ...extra,
      });
    const offLab = (s: string) => ({ sock: s, env: { QUANTUM_AUTOSTART: "1", QUANTUM_SOCKET: s } });

    async function servedInProcess(sock: string, config: unknown, env: Record<string, string>, cid: string) {
      const ns = lab.container();
      const r = await run("ADD", cid, ns, config, env);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual(lab.addrs(ns), [resultIp(r.json!)]);
      // Give a wrongly started daemon the time to show up before looking for it.
      await new Promise((res) => setTimeout(res, 300));
      assert.deepEqual(daemonsOn(sock), [], "no daemon");
      assert.equal(existsSync(sock), false, "no socket");
      const del = await run("DEL", cid, ns, config, env);
      assert.equal(del.code, 0, del.stdout);
      return r;
    }

    it("QUANTUM_AUTOSTART=0: in-process, no lock taken", async () => {
      const { sock, env } = offLab(socket("env-off"));
      await servedInProcess(sock, conf(), { ...env, QUANTUM_AUTOSTART: "0" }, "off-env");
      assert.equal(existsSync(`${sock}.lock`), false);
    });

    it('"autostart": false in the config: in-process, whatever the environment says', async () => {
      const { sock, env } = offLab(socket("conf-off"));
      await servedInProcess(sock, conf({ autostart: false }), env, "off-conf");
      assert.equal(existsSync(`${sock}.lock`), false);
    });

    it("a start that never became ready (lock says starting, under 10 s ago): in-process, said on stderr", async () => {
      const { sock, env } = offLab(socket("backoff"));
      writeFileSync(`${sock}.lock`, "4194303 starting\n");
      const r = await servedInProcess(sock, conf(), env, "backoff");
      assert.match(
        r.stderr,
        /not starting quantumd on .*backoff\.sock: the last start, under 10 s ago, never became ready/,
      );
    });

    it("quantumd cannot be started: the call is served in-process, the reason logged in the data dir and on stderr", async () => {
      // The shim alone in a directory (quantum-direct beside it, quantumd not): autostart must fail.
      const binCopy = mkdtempSync(join(tmpdir(), "qauto-bin-"));
      try {
        copyFileSync(quantumBin, join(binCopy, "quantum"));
        chmodSync(join(binCopy, "quantum"), 0o755);
        symlinkSync(join(binDir, "quantum-direct"), join(binCopy, "quantum-direct"));
        const { sock, env } = offLab(socket("no-quantumd"));
        const ns = lab.container();
        const config = conf();
        const r = await lab.run({
          command: "ADD",
          containerId: "no-quantumd",
          netns: ns.path,
          config,
          extraEnv: env,
          bin: join(binCopy, "quantum"),
        });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.deepEqual(lab.addrs(ns), [resultIp(r.json!)]);
        const why =
          /autostart of quantumd on .*no-quantumd\.sock failed: no executable quantumd next to this plugin .*; serving in direct mode/;
        assert.match(r.stderr, why);
        assert.match(readFileSync(join(lab.dataDir, "quantumd.log"), "utf8"), why);
        assert.deepEqual(daemonsOn(sock), []);
        const del = await run("DEL", "no-quantumd", ns, config, { ...env, QUANTUM_AUTOSTART: "0" });
        assert.equal(del.code, 0, del.stdout);
      } finally {
        rmSync(binCopy, { recursive: true, force: true });
      }
    });

    it("bad settings are CNI errors naming the setting", async () => {
      const { env } = offLab(socket("bad"));
      const ns = lab.container();
      const badConf = await run("ADD", "bad-1", ns, conf({ autostart: "yes" }), env);
      assert.equal(badConf.code, 1);
      assert.deepEqual(
        { code: badConf.json?.["code"], details: badConf.json?.["details"] },
        { code: 7, details: '"autostart" must be true or false, got "yes"' },
      );
      const badIdle = await run("ADD", "bad-2", ns, conf({ idleExitSeconds: -1 }), env);
      assert.equal(badIdle.json?.["code"], 7);
      assert.match(String(badIdle.json?.["details"]), /"idleExitSeconds" must be a non-negative integer, got -1/);
      const badEnv = await run("ADD", "bad-3", ns, conf(), { ...env, QUANTUM_AUTOSTART: "maybe" });
      assert.equal(badEnv.json?.["code"], 4);
      assert.match(String(badEnv.json?.["details"]), /QUANTUM_AUTOSTART="maybe": use 1 or 0/);
      assert.equal(badEnv.json?.["cniVersion"], "1.0.0", "in the config's version");
    });
  });
});
