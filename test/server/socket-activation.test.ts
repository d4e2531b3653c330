// systemd socket activation with systemd-socket-activate (what systemd does for
// contrib/quantumd.socket, without starting any unit): it owns the listening socket, starts
// quantumd on the first connection with LISTEN_FDS=1 / LISTEN_PID, and quantumd serves that call
// on fd 3. Ended by SIGTERM or by --idle-exit, quantumd exits 0 and leaves the socket file alone
// (its owner's). All inside a private
// host netns (Lab); the daemon and systemd-socket-activate are killed by pid in the after hook.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Lab, resultIp } from "../dataplane/fixture.js";
import { testRegistryDir } from "../helpers/registry.js";
import { quantumdBin } from "./daemon.js";
import { daemonsOn, killDaemons, until } from "./find-daemons.js";

for (const ending of ["SIGTERM", "idle exit"] as const) {
  describe(`systemd socket activation, ended by ${ending}`, { timeout: 120_000 }, () => {
    let lab: Lab;
    let dir: string;
    let sock: string;
    let activator: ChildProcess | undefined;
    let activatorExit: Promise<number | null> | undefined;
    let log = "";
    before(async () => {
      lab = new Lab();
      dir = mkdtempSync(join(tmpdir(), "qsact-"));
      sock = join(dir, "quantum.sock");
      const env = { ...process.env };
      delete env["NODE_EXTRA_CA_CERTS"];
      activator = spawn(
        "nsenter",
        [
          `--net=${lab.host.path}`,
          "systemd-socket-activate",
          "--listen",
          sock,
          // It hands the daemon no environment but what it is told: the tests' registry.
          `--setenv=QUANTUM_REGISTRY_DIR=${testRegistryDir()}`,
          quantumdBin,
          "--socket",
          sock,
          "--data-dir",
          lab.dataDir,
          "--reconcile-grace-ms",
          "200",
          ...(ending === "idle exit" ? ["--idle-exit", "2"] : []),
        ],
        { env, stdio: ["ignore", "ignore", "pipe"] },
      );
      activator.stderr!.on("data", (b: Buffer) => {
        log += b.toString();
      });
      activatorExit = new Promise((r) => activator!.once("exit", (code) => r(code)));
      await until("systemd-socket-activate's socket", () => existsSync(sock) || activator!.exitCode !== null, 10_000);
      assert.ok(existsSync(sock), `systemd-socket-activate did not listen: ${log}`);
    });
    after(async () => {
      if (sock) await killDaemons([sock]).catch(() => undefined);
      if (activator && activator.exitCode === null && activator.signalCode === null) {
        activator.kill("SIGKILL");
        await activatorExit;
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
      lab?.cleanup();
    });

    it("no daemon runs before the first connection", () => {
      assert.deepEqual(daemonsOn(sock), []);
    });

    it("the first call starts quantumd on the passed socket, which serves it (ADD, then DEL)", async () => {
      const conf = lab.config({ subnet: "10.95.0.0/24", gateway: "10.95.0.1" });
      const ns = lab.container();
      const env = { QUANTUM_SOCKET: sock };
      const add = await lab.run({ command: "ADD", containerId: "sa-1", netns: ns.path, config: conf, extraEnv: env });
      assert.equal(add.code, 0, add.stdout + add.stderr + log);
      assert.deepEqual(lab.addrs(ns), [resultIp(add.json!)], "the address is in the container (ip -j addr)");
      const pids = daemonsOn(sock);
      assert.equal(pids.length, 1, `one daemon: ${pids.join(" ")}`);
      assert.match(readlinkSync(`/proc/${pids[0]}/fd/3`), /^socket:\[\d+\]$/, "fd 3 is the passed socket");
      await until("the daemon's log", () => log.includes('"msg":"cni request"'), 5000);
      assert.match(log, /"socketActivated":true/);
      assert.match(log, /"command":"ADD"[^\n]*"exit":0/, "the daemon, not direct mode, answered");
      const del = await lab.run({ command: "DEL", containerId: "sa-1", netns: ns.path, config: conf, extraEnv: env });
      assert.equal(del.code, 0, del.stdout);
      await until("the DEL in the daemon's log", () => /"command":"DEL"/.test(log), 5000);
    });

    it(`${ending}: quantumd exits 0 and leaves the socket to its owner`, async () => {
      const [pid] = daemonsOn(sock);
      assert.ok(pid !== undefined);
      // The fast DEL path finishes its link deletion in the background; both endings wait for it.
      if (ending === "SIGTERM") process.kill(pid, "SIGTERM");
      await until("quantumd's exit", () => daemonsOn(sock).length === 0, 20_000);
      if (ending === "idle exit") assert.match(log, /"msg":"idle: closing the socket and exiting"/);
      assert.match(log, /"msg":"stopped"/);
      assert.ok(existsSync(sock), "the socket file is systemd's: not unlinked");
      assert.equal(await activatorExit, 0, "quantumd exited 0 (systemd-socket-activate relays it)");
      lab.assertNothingLeft("10.95.0.", "after the DEL");
    });
  });
}
