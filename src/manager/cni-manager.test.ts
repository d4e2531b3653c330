import assert from "node:assert/strict";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseConfList, parsePluginConfig } from "../cni/index.js";
import { IsolationLevel, NetworkDriverType } from "../network/types.js";
import { CniConfig } from "./cni-config.js";
import { CniManager } from "./cni-manager.js";
import { ForeignConfigError } from "./config-files.js";
import { MANAGED_KEY } from "./conflist-generator.js";
import { parseQuantumConfig } from "./network-config.js";

describe("CniConfig", () => {
  it("default() has the production paths and honours QUANTUM_* variables", () => {
    const d = CniConfig.default({});
    assert.equal(d.configPath, "/etc/cni/net.d");
    assert.equal(d.pluginPath, "/opt/cni/bin");
    assert.equal(d.socketPath, "/run/quantum/quantum.sock");
    assert.equal(d.dataDir, "/var/lib/quantum");
    const e = CniConfig.default({ QUANTUM_CONFIG_DIR: "/tmp/x", QUANTUM_DATA_DIR: "/tmp/y", QUANTUM_SOCKET: "" });
    assert.equal(e.configPath, "/tmp/x");
    assert.equal(e.dataDir, "/tmp/y");
    assert.equal(e.socketPath, "/run/quantum/quantum.sock");
    assert.equal(d.with({ pluginPath: "/tmp/p", dataDir: undefined }).pluginPath, "/tmp/p");
    assert.throws(() => new CniConfig({ configPath: "relative/dir" }), /not an absolute path/);
  });
});

describe("CniManager config files", () => {
  let root: string;
  let ownRegistry: string | undefined;
  let manager: CniManager;
  let configDir: string;
  before(async () => {
    root = mkdtempSync(join(tmpdir(), "qmgr-"));
    // Networks made here are registered host-wide: in a registry of the test's own when run alone.
    if (!process.env["QUANTUM_REGISTRY_DIR"]) {
      ownRegistry = mkdtempSync(join(tmpdir(), "qmgr-reg-"));
      process.env["QUANTUM_REGISTRY_DIR"] = ownRegistry;
    }
    configDir = join(root, "net.d");
    manager = new CniManager(
      new CniConfig({ configPath: configDir, dataDir: join(root, "data"), socketPath: join(root, "q.sock") }),
    );
    await manager.init();
  });
  after(() => {
    manager.close();
    rmSync(root, { recursive: true, force: true });
    if (ownRegistry) rmSync(ownRegistry, { recursive: true, force: true });
  });

  it("init() creates the config and data directories", () => {
    assert.ok(statSync(configDir).isDirectory());
    assert.equal(statSync(join(root, "data")).mode & 0o777, 0o700);
  });

  it("generateNetworkConfig() is a valid conflist (1.0.0 base; 1.1.0 offered only without reference plugins); every plugin entry parses", async () => {
    const net = await manager.networks.createNetwork(
      "gen-net",
      "172.17.0.0/16",
      "172.17.0.1",
      NetworkDriverType.Bridge,
      IsolationLevel.None,
      { dns: { nameservers: ["8.8.8.8", "8.8.4.4"], search: ["quantum.local"] }, mtu: 1400, subnets: ["fd17::/64"] },
    );
    const conf = manager.generateNetworkConfig(net, { portmap: true, tuning: true, bandwidth: true });
    // libcni < 1.2 (podman 4.3) injects cniVersion as is and cannot parse 1.1.0 results; the chained
    // reference plugins speak at most 1.0.0.
    assert.equal(conf.cniVersion, "1.0.0");
    assert.deepEqual(conf.cniVersions, ["0.3.0", "0.3.1", "0.4.0", "1.0.0"]);
    assert.equal(conf.name, "gen-net");
    assert.equal(conf[MANAGED_KEY], true);
    const alone = manager.generateNetworkConfig(net);
    assert.equal(alone.cniVersion, "1.0.0");
    assert.deepEqual(alone.cniVersions, ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"]);
    assert.equal(parseConfList(JSON.stringify(alone)).cniVersion, "1.1.0", "a cniVersions-aware runtime picks 1.1.0");
    const list = parseConfList(JSON.stringify(conf));
    assert.equal(list.cniVersion, "1.0.0");
    assert.deepEqual(
      list.plugins.map((p) => p.type),
      ["quantum", "tuning", "portmap", "bandwidth"],
    );
    assert.deepEqual(list.plugins[2]!.capabilities, { portMappings: true });
    assert.deepEqual(list.plugins[3]!.capabilities, { bandwidth: true });
    for (const p of list.plugins) parsePluginConfig({ ...p, cniVersion: list.cniVersion, name: list.name });
    const parsed = parseQuantumConfig(parsePluginConfig({ ...list.plugins[0], cniVersion: "1.1.0", name: "gen-net" }));
    const ours = parsed.spec;
    assert.equal(ours.driver, "bridge");
    assert.deepEqual(
      ours.subnets.map((s) => s.subnet),
      ["172.17.0.0/16", "fd17::/64"],
    );
    assert.equal(ours.subnets[0]?.gateway, "172.17.0.1");
    assert.equal(ours.mtu, 1400);
    assert.equal(ours.isolation, "none");
    assert.equal(ours.bridge, "qbr-gen-net");
    assert.equal(parsed.dataDir, join(root, "data"), "a non-default dataDir is carried");
    assert.equal(parsed.socketPath, join(root, "q.sock"));
    assert.deepEqual(ours.dns, { nameservers: ["8.8.8.8", "8.8.4.4"], search: ["quantum.local"] });
    assert.deepEqual(ours.routes, [
      { dst: "0.0.0.0/0", gw: "172.17.0.1" },
      { dst: "::/0", gw: "fd17::1" },
    ]);
  });

  it("hostPorts declares portMappings and dns on quantum's own entry, and refuses portmap beside it", async () => {
    const net = await manager.networks.createNetwork("hp-net", "172.19.0.0/16", null, "bridge", "none");
    const conf = manager.generateNetworkConfig(net, { hostPorts: true });
    assert.deepEqual(conf.plugins[0]?.["capabilities"], { ips: true, mac: true, portMappings: true, dns: true });
    assert.equal(conf.plugins.length, 1);
    assert.throws(() => manager.generateNetworkConfig(net, { hostPorts: true, portmap: true }), /not both/);
  });

  it("installNetworkConfig() writes <name>.conflist with mode 0644 and no temp file left; uninstall removes it", async () => {
    const net = await manager.networks.createNetwork("inst-net", "10.61.0.0/24", undefined, "bridge", "internal");
    const path = await manager.installNetworkConfig(manager.generateNetworkConfig(net));
    assert.equal(path, join(configDir, "inst-net.conflist"));
    assert.equal(statSync(path).mode & 0o777, 0o644);
    assert.deepEqual(readdirSync(configDir), ["inst-net.conflist"]);
    const written = JSON.parse(readFileSync(path, "utf8"));
    assert.equal(written.plugins[0].isolation, "internal");
    // Ours: replaced without complaint.
    await manager.installNetworkConfig(manager.generateNetworkConfig(net, { portmap: true }));
    assert.equal(JSON.parse(readFileSync(path, "utf8")).plugins.length, 2);
    assert.equal(manager.readNetworkConfig("inst-net")?.managed, true);
    assert.equal(await manager.uninstallNetworkConfig("inst-net"), true);
    assert.equal(existsSync(path), false);
    assert.equal(await manager.uninstallNetworkConfig("inst-net"), false, "uninstall is idempotent");
  });

  it("a foreign file at the target path is neither replaced nor removed", async () => {
    const net = await manager.networks.createNetwork("foreign-net", "10.62.0.0/24", undefined, "bridge", "none");
    const path = join(configDir, "foreign-net.conflist");
    const foreign = '{"cniVersion":"1.0.0","name":"foreign-net","plugins":[{"type":"bridge"}]}\n';
    writeFileSync(path, foreign);
    await assert.rejects(manager.installNetworkConfig(manager.generateNetworkConfig(net)), (err: Error) => {
      assert.ok(err instanceof ForeignConfigError);
      assert.match(err.message, /refusing to touch ".*foreign-net\.conflist": it was not written by Quantum CNI/);
      return true;
    });
    await assert.rejects(manager.uninstallNetworkConfig("foreign-net"), ForeignConfigError);
    assert.equal(readFileSync(path, "utf8"), foreign);
    writeFileSync(path, "not json");
    await assert.rejects(manager.uninstallNetworkConfig("foreign-net"), /not JSON written by Quantum CNI/);
    rmSync(path);
    symlinkSync("/dev/null", path);
    await assert.rejects(manager.installNetworkConfig(manager.generateNetworkConfig(net)), /symbolic link/);
    rmSync(path);
    assert.deepEqual(readdirSync(configDir), []);
  });

  it("names that could leave the config directory are refused before any file is touched", async () => {
    const base = { cniVersion: "1.1.0", plugins: [{ type: "quantum", subnet: "10.63.0.0/24" }] };
    for (const name of ["../escape", "a/b", "a..b", "..", "with space", "x".repeat(300)]) {
      await assert.rejects(manager.installNetworkConfig({ ...base, name }), /name/, name);
      await assert.rejects(manager.uninstallNetworkConfig(name), /invalid network name/, name);
    }
    assert.deepEqual(readdirSync(configDir), []);
    assert.deepEqual(readdirSync(root).sort(), ["data", "net.d"]);
  });

  it("an invalid conflist is refused with the plugin entry and field named", async () => {
    await assert.rejects(
      manager.installNetworkConfig({
        cniVersion: "1.1.0",
        name: "bad-conf",
        plugins: [{ type: "quantum", subnet: "10.64.0.0/24", gateway: "10.65.0.1" }],
      }),
      /plugins\[0\] \(type "quantum"\): .*gateway.*outside subnet/,
    );
    await assert.rejects(
      manager.installNetworkConfig({
        cniVersion: "1.1.0",
        name: "bad-conf",
        plugins: [{ type: "quantum", driver: "ipvlan" }],
      }),
      /driver/,
    );
    assert.deepEqual(readdirSync(configDir), []);
  });

  it("handle() answers VERSION and validates env and config like the plugin", async () => {
    const v = (await manager.handle("VERSION", {})) as { supportedVersions: string[] };
    assert.ok(v.supportedVersions.includes("1.1.0"));
    await assert.rejects(
      manager.handle("ADD", {}, { cniVersion: "1.1.0", name: "x", type: "quantum" }),
      (err: Error) => {
        assert.equal((err as { code?: number }).code, 4);
        return true;
      },
    );
    await assert.rejects(
      manager.handle("GC", { CNI_PATH: "/nonexistent" }, { cniVersion: "0.4.0", name: "x", type: "quantum" }),
      (err: Error) => (err as { code?: number }).code === 1,
    );
  });
});
