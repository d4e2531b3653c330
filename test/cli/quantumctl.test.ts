// bin/quantumctl inside a private host netns with temp dirs: networks, config files, attachments,
// doctor finding leaks planted by hand and gc removing them, forced removal, bad input, plugin
// install, status against a stand-in daemon.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { networkId } from "../../src/network/network-ids.js";
import { SqliteStore } from "../../src/store/index.js";
import { resultIp } from "../dataplane/fixture.js";
import { ipIn, nsExec } from "../helpers/netns.js";
import { CtlLab, ok, quantumctlBin } from "./ctl.js";

interface DoctorJson {
  ok: boolean;
  findings: { kind: string; network: string; detail: string; link?: string; ips?: string[] }[];
}

describe("quantumctl", () => {
  let lab: CtlLab;
  before(() => {
    lab = new CtlLab();
  });
  after(() => lab.cleanup());

  it("--help everywhere; a command group without subcommand and an unknown option are usage errors", async () => {
    const help = ok(await lab.ctl(["--help"]), "--help");
    for (const cmd of ["network", "attachment", "config", "plugin", "gc", "status", "doctor"]) {
      assert.match(help.stdout, new RegExp(`\\n  ${cmd}\\b`), cmd);
    }
    const sub = ok(await lab.ctl(["network", "create", "--help"]), "network create --help");
    assert.match(sub.stdout, /--subnet <cidr>/);
    assert.equal((await lab.ctl(["network"])).code, 2);
    assert.equal((await lab.ctl(["network", "ls", "--bogus"])).code, 2);
  });

  it("network create/ls/inspect, config show/install, attachment ls; doctor finds planted leaks and gc removes them", async () => {
    ok(
      await lab.ctl([
        "network",
        "create",
        "ctl-net",
        "--subnet",
        "10.81.0.0/24",
        "--isolation",
        "internal",
        "--install",
      ]),
      "create",
    );
    const ls = ok(await lab.ctl(["network", "ls", "--json"]), "ls").json as { name: string; config: string }[];
    assert.deepEqual(
      ls.map((n) => [n.name, n.config]),
      [["ctl-net", "installed"]],
    );
    const shown = ok(await lab.ctl(["config", "show", "ctl-net", "--installed"]), "config show").json as {
      plugins: Record<string, unknown>[];
    };
    assert.equal(shown.plugins[0]!["isolation"], "internal");
    assert.equal(shown.plugins[0]!["dataDir"], lab.dataDir);

    // A real container through bin/quantum: doctor must not flag it.
    const config = { ...shown.plugins[0], cniVersion: "1.1.0", name: "ctl-net" };
    const c1 = lab.container();
    const r1 = await lab.add("ctl-c1", c1, config);
    const atts = ok(await lab.ctl(["attachment", "ls", "--json"]), "attachment ls").json as { containerId: string }[];
    assert.deepEqual(
      atts.map((a) => a.containerId),
      ["ctl-c1"],
    );
    const clean = ok(await lab.ctl(["doctor", "--json"]), "doctor on a clean host").json as DoctorJson;
    assert.deepEqual(clean.findings, []);

    // Plant: a reservation without attachment or link, and a veth on our bridge without reservation.
    const store = SqliteStore.open(lab.dataDir);
    try {
      assert.ok(
        store.reserve({ network: "ctl-net", rangeId: "0", ip: "10.81.0.200", containerId: "leak-1", ifname: "eth0" }),
      );
    } finally {
      store.close();
    }
    ipIn(lab.host.name, ["link", "add", "qleak0", "type", "veth", "peer", "name", "qleak1"]);
    ipIn(lab.host.name, ["link", "set", "qleak0", "master", "qbr-ctl-net"]);

    const sick = await lab.ctl(["doctor", "--json"]);
    assert.equal(sick.code, 1, sick.stderr);
    const found = (sick.json as DoctorJson).findings;
    assert.deepEqual(found.map((f) => f.kind).sort(), ["orphan-link", "orphan-reservation"]);
    assert.equal(found.find((f) => f.kind === "orphan-link")?.link, "qleak0");
    assert.deepEqual(found.find((f) => f.kind === "orphan-reservation")?.ips, ["10.81.0.200"]);
    const text = await lab.ctl(["doctor"]);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /qleak0/);
    assert.match(text.stdout, /leak-1\/eth0: 10\.81\.0\.200 reserved without attachment/);

    const gc = ok(await lab.ctl(["gc", "--grace-ms", "0", "--json"]), "gc").json as {
      via: string;
      repaired: unknown[];
      errors: string[];
    };
    assert.equal(gc.via, "local");
    assert.equal(gc.repaired.length, 2);
    assert.deepEqual(gc.errors, []);
    ok(await lab.ctl(["doctor"]), "doctor after gc");
    assert.ok(!lab.hostLinks().some((l) => l.ifname === "qleak0" || l.ifname === "qleak1"));
    assert.deepEqual(lab.storeState("ctl-net").reservations, [`ctl-c1/eth0=${resultIp(r1)}`]);
    assert.ok(lab.ping(c1, "10.81.0.1"), "the real container still works");

    // Removal is refused while attached, then forced: the container is detached cleanly.
    const refused = await lab.ctl(["network", "rm", "ctl-net"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /network "ctl-net" is in use: 1 attachment \(ctl-c1\/eth0\)/);
    assert.ok(existsSync(join(lab.configDir, "ctl-net.conflist")), "a refused rm keeps the config");
    const forced = ok(await lab.ctl(["network", "rm", "ctl-net", "--force", "--json"]), "rm --force").json as {
      detached: string[];
      bridgeRemoved: boolean;
      firewallRemoved: boolean;
    };
    assert.deepEqual(forced.detached, ["ctl-c1/eth0"]);
    assert.equal(forced.bridgeRemoved, true);
    assert.equal(forced.firewallRemoved, true);
    assert.deepEqual(lab.storeState("ctl-net"), { reservations: [], attachments: [] });
    assert.deepEqual(
      lab.hostLinks().map((l) => l.ifname),
      ["lo"],
    );
    assert.deepEqual(readdirSync(lab.configDir), []);
    const ruleset = nsExec(lab.host.name, "nft", ["list", "ruleset"]);
    assert.ok(!ruleset.includes(`n_${networkId("ctl-net")}_`), `nft objects of ctl-net are gone:\n${ruleset}`);
    ok(await lab.ctl(["doctor"]), "doctor after forced rm");
  });

  it("bad input: clear errors, non-zero exit, no file written or removed", async () => {
    // Every bad name is covered by the library's unit tests; here the CLI's exit code and message.
    for (const [name, message] of [
      ["a/b", /contains "\/"/],
      ["x".repeat(300), /longer than 100 characters/],
    ] as const) {
      const run = await lab.ctl(["network", "create", name, "--subnet", "10.82.0.0/24", "--install"]);
      assert.equal(run.code, 1, name);
      assert.match(run.stderr, message, name);
    }
    const leaving = await lab.ctl(["config", "uninstall", "../net.d/x"]);
    assert.equal(leaving.code, 1);
    assert.match(leaving.stderr, /invalid network name/);
    ok(await lab.ctl(["network", "create", "first", "--subnet", "10.83.0.0/16"]), "create first");
    const overlap = await lab.ctl(["network", "create", "second", "--subnet", "10.83.7.0/24"]);
    assert.equal(overlap.code, 1);
    assert.match(overlap.stderr, /overlaps subnet "10\.83\.0\.0\/16" of network "first"/);
    const gw = await lab.ctl(["network", "create", "third", "--subnet", "10.84.0.0/24", "--gateway", "10.85.0.1"]);
    assert.match(gw.stderr, /gateway "10\.85\.0\.1": outside subnet/);
    const iso = await lab.ctl(["network", "create", "third", "--subnet", "10.84.0.0/24", "--isolation", "nope"]);
    assert.match(iso.stderr, /unknown isolation level "nope"/);

    // A foreign file at the target path: install refused (and the network not kept), uninstall refused.
    const foreign = join(lab.configDir, "taken.conflist");
    const content = '{"cniVersion":"1.0.0","name":"taken","plugins":[{"type":"bridge"}]}\n';
    writeFileSync(foreign, content);
    const install = await lab.ctl(["network", "create", "taken", "--subnet", "10.86.0.0/24", "--install"]);
    assert.equal(install.code, 1);
    assert.match(install.stderr, /refusing to touch ".*taken\.conflist": it was not written by Quantum CNI/);
    assert.equal((await lab.ctl(["network", "inspect", "taken"])).code, 1, "the network was not kept");
    const un = await lab.ctl(["config", "uninstall", "taken"]);
    assert.equal(un.code, 1);
    assert.equal(readFileSync(foreign, "utf8"), content);
    assert.deepEqual(readdirSync(lab.configDir), ["taken.conflist"]);
    // A file of ours without its network is drift; a foreign file is not ours to report.
    const ghost = { cniVersion: "1.1.0", name: "ghost", "quantum.managed": true, plugins: [{ type: "quantum" }] };
    writeFileSync(join(lab.configDir, "ghost.conflist"), JSON.stringify(ghost));
    const doctor = await lab.ctl(["doctor", "--json"]);
    assert.equal(doctor.code, 1);
    assert.deepEqual(
      (doctor.json as DoctorJson).findings.map((f) => [f.kind, f.network]),
      [["orphan-config", "ghost"]],
    );
    ok(await lab.ctl(["config", "uninstall", "ghost"]), "uninstall our own file");
    rmSync(foreign);
    ok(await lab.ctl(["network", "rm", "first"]), "rm first");
  });

  it("plugin install copies the shim and wraps the direct plugin and quantumd; the installed plugin answers VERSION", async () => {
    const installed = ok(await lab.ctl(["plugin", "install", "--json"]), "plugin install").json as {
      name: string;
      kind: string;
    }[];
    const expected = [
      "quantum",
      ...["quantum-direct", "quantumd"].filter((n) => existsSync(join(quantumctlBin, "..", n))),
    ];
    assert.deepEqual(
      installed.map((p) => p.name),
      expected,
    );
    const version = await lab.inHost(join(lab.pluginDir, "quantum"), [], { CNI_COMMAND: "VERSION" });
    assert.equal(version.code, 0, version.stdout + version.stderr);
    assert.ok((version.json as { supportedVersions: string[] }).supportedVersions.includes("1.1.0"));
    ok(await lab.ctl(["plugin", "install"]), "reinstall over our own files");
    writeFileSync(join(lab.pluginDir, "quantum"), "#!/bin/sh\necho someone else\n");
    const refused = await lab.ctl(["plugin", "install"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /refusing to replace .*quantum: not written by quantum-cni/);
    assert.equal(readFileSync(join(lab.pluginDir, "quantum"), "utf8"), "#!/bin/sh\necho someone else\n");
  });

  it("status reports quantumd when it answers on the socket, and direct mode otherwise", async () => {
    const absent = ok(await lab.ctl(["status", "--json"]), "status").json as { daemon: { running: boolean } };
    assert.equal(absent.daemon.running, false);
    // A stand-in for quantumd's GET /v1/status on the lab's socket (a temp path).
    const server = createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(req.url === "/v1/status" ? { pid: 4242, ready: true, running: 0, waiting: 0 } : {}));
    });
    await new Promise<void>((resolve) => server.listen(lab.socket, resolve));
    try {
      const up = ok(await lab.ctl(["status", "--json"]), "status with daemon").json as {
        daemon: { running: boolean; status: { pid: number } };
      };
      assert.equal(up.daemon.running, true);
      assert.equal(up.daemon.status.pid, 4242);
      const text = ok(await lab.ctl(["status"]), "status text");
      assert.match(text.stdout, /quantumd: running at .* \(pid 4242, ready/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
