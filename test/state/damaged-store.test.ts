/**
 * Issue 10, finding 3: a damaged store (pages overwritten mid-file), in direct mode and through
 * the daemon. STATUS answers 50 naming the damage and the file; ADD is refused (104) naming the
 * file and touches nothing; DEL still succeeds from CNI_NETNS/CNI_IFNAME + prevResult + the kernel
 * (the container's eth0, the host veth and the firewall elements are gone, exit 0); the daemon
 * keeps running; doctor reports it; `quantumctl store recover` moves the file aside and rebuilds
 * it from the kernel, after which ADD works and does not reuse the surviving container's address.
 */
import assert from "node:assert/strict";
import { closeSync, openSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { CtlLab, ok } from "../cli/ctl.js";
import { resultIp } from "../dataplane/fixture.js";
import { ipJson } from "../helpers/netns.js";
import { TestDaemon } from "../server/daemon.js";
import { reaches } from "./reach.js";

const isRoot = process.getuid?.() === 0;

/** Moves the log into the file, then overwrites every page but the first with garbage. */
function damage(dataDir: string): void {
  const path = join(dataDir, "quantum.db");
  const db = new Database(path);
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
  const size = statSync(path).size;
  const fd = openSync(path, "r+");
  try {
    writeSync(fd, Buffer.alloc(size - 4096, 0xa5), 0, size - 4096, 4096);
  } finally {
    closeSync(fd);
  }
}

for (const mode of ["direct", "daemon"] as const) {
  describe(`[${mode}] a damaged store`, { skip: isRoot ? false : "needs root", timeout: 120_000 }, () => {
    let lab: CtlLab;
    let daemon: TestDaemon | undefined;
    let env: Record<string, string> = {};
    const conf = () => lab.config({ name: `dmg-${mode}`, subnet: "10.85.0.0/24", gateway: "10.85.0.1" });
    const results: Record<string, Record<string, unknown>> = {};
    const run = (command: "ADD" | "DEL" | "STATUS", id: string, netns: string, config: unknown = conf()) =>
      lab.run({ command, containerId: id, netns, config, extraEnv: env });
    before(async () => {
      lab = new CtlLab();
      if (mode === "daemon") {
        daemon = new TestDaemon(lab.host.name, { dataDirs: [lab.dataDir] });
        await daemon.start();
        env = daemon.env;
      } else env = { QUANTUM_SOCKET: lab.socket };
      for (const id of ["keep", "gone"]) {
        const ns = lab.container();
        const r = await run("ADD", id, ns.path);
        assert.equal(r.code, 0, r.stdout);
        results[id] = r.json!;
      }
      damage(lab.dataDir);
    });
    after(async () => {
      await daemon?.cleanup();
      lab?.cleanup();
    });

    it("STATUS answers 50 naming the damage and the file", async () => {
      const r = await run("STATUS", "", "", { ...conf(), cniVersion: "1.1.0" });
      assert.equal(r.code, 1, r.stdout);
      const err = JSON.parse(r.stdout) as { code: number; msg: string };
      assert.equal(err.code, 50, err.msg);
      assert.match(err.msg, /damaged/);
      assert.ok(err.msg.includes(join(lab.dataDir, "quantum.db")), err.msg);
    });

    it("ADD is refused with 104 naming the file, and touches nothing", async () => {
      const ns = lab.container();
      const r = await run("ADD", "new", ns.path);
      assert.equal(r.code, 1, r.stdout);
      const err = JSON.parse(r.stdout) as { code: number; msg: string };
      assert.equal(err.code, 104, err.msg);
      assert.ok(err.msg.includes(join(lab.dataDir, "quantum.db")), err.msg);
      assert.match(err.msg, /store recover/);
      assert.equal(ipJson<unknown[]>(ns.name, ["link", "show"]).length, 1, "lo only");
    });

    it("DEL succeeds from the kernel and the prevResult: links and firewall elements removed", async () => {
      const ns = lab.containers[1]!;
      const ip = resultIp(results["gone"]!);
      assert.ok(lab.nftElements().includes(ip));
      const r = await run("DEL", "gone", ns.path, { ...conf(), prevResult: results["gone"] });
      assert.equal(r.code, 0, r.stdout);
      assert.equal(ipJson<unknown[]>(ns.name, ["link", "show"]).length, 1, "eth0 gone");
      const veths = lab.hostLinks().filter((l) => l.ifname.startsWith("veth"));
      assert.equal(veths.length, 1, "only the kept container's host veth is left");
      assert.equal(lab.nftElements().includes(`"${ip}"`), false, "its firewall element is gone");
      assert.ok(reaches(lab, lab.containers[0]!, "10.85.0.1"), "the other container is untouched");
    });

    it("the daemon keeps running; doctor reports the damage", async () => {
      if (daemon) assert.equal((await daemon.http("GET", "/readyz")).status, 200);
      const doctor = await lab.ctl(["doctor", "--json"]);
      assert.equal(doctor.code, 1);
      const kinds = (doctor.json as { findings: { kind: string }[] }).findings.map((f) => f.kind);
      assert.deepEqual(kinds, ["store-damaged"], doctor.stdout);
      const ls = await lab.ctl(["network", "ls"]);
      assert.notEqual(ls.code, 0);
      assert.match(ls.stderr + ls.stdout, /damaged/);
    });

    it("store recover moves it aside and rebuilds from the kernel; ADD then works without reuse", async () => {
      const rec = ok(await lab.ctl(["store", "recover", "--json"]), "store recover");
      const report = rec.json as { adopted: string[]; movedTo?: string };
      assert.match(report.movedTo ?? "", /quantum\.db\.damaged-/, rec.stdout);
      assert.equal(report.adopted.length, 1, rec.stdout);
      const ns = lab.container();
      const r = await run("ADD", "after", ns.path);
      assert.equal(r.code, 0, r.stdout);
      assert.notEqual(resultIp(r.json!), resultIp(results["keep"]!));
      assert.ok(reaches(lab, ns, resultIp(results["keep"]!)));
      for (const [id, n] of [
        ["keep", lab.containers[0]!],
        ["after", ns],
      ] as const)
        assert.equal((await run("DEL", id, n.path)).code, 0);
    });
  });
}
