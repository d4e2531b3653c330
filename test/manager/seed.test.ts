// The seed's usage end to end: the network created and its conflist installed (in a temp config
// dir) by the library, two containers ADDed through bin/quantum with the installed config, ping,
// DEL, uninstall, delete; nothing left in the store, the config dir, the links or nftables.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parseConfList } from "../../src/cni/index.js";
import { SqliteStore } from "../../src/store/index.js";
import { CtlLab, ok } from "../cli/ctl.js";
import { resultIp } from "../dataplane/fixture.js";
import { nsExec } from "../helpers/netns.js";

const script = fileURLToPath(new URL("./seed-usage.js", import.meta.url));

describe("the seed's usage", () => {
  let lab: CtlLab;
  before(() => {
    lab = new CtlLab();
  });
  after(() => lab.cleanup());

  it("creates, installs, serves two containers through bin/quantum, uninstalls and deletes; nothing left", async () => {
    const setup = ok(await lab.inHost(process.execPath, [script, "setup"]), "seed setup");
    const { network, path } = setup.json as { network: { id: string; bridge: string }; path: string };
    assert.equal(path, join(lab.configDir, "my-network.conflist"));

    // What a runtime does with the installed file: pick the version, inject name and version per plugin.
    const list = parseConfList(readFileSync(path, "utf8"));
    assert.equal(list.cniVersion, "1.1.0");
    assert.equal(list.plugins.length, 1);
    const config: Record<string, unknown> = { ...list.plugins[0], cniVersion: list.cniVersion, name: list.name };
    assert.equal(config["dataDir"], lab.dataDir, "the temp data dir travels in the conflist");

    const c1 = lab.container();
    const c2 = lab.container();
    const r1 = await lab.add("seed-c1", c1, config);
    const r2 = await lab.add("seed-c2", c2, config);
    const ip1 = resultIp(r1);
    const ip2 = resultIp(r2);
    assert.match(ip1, /^172\.17\./);
    assert.ok(lab.ping(c1, ip2), `c1 reaches c2 (${ip2})`);
    assert.ok(lab.ping(c2, ip1), `c2 reaches c1 (${ip1})`);
    assert.ok(lab.ping(c1, "172.17.0.1"), "c1 reaches the gateway");

    for (const [cid, ns, r] of [
      ["seed-c1", c1, r1],
      ["seed-c2", c2, r2],
    ] as const) {
      const del = await lab.del(cid, ns.path, { ...config, prevResult: r });
      assert.equal(del.code, 0, del.stdout);
    }

    const teardown = ok(await lab.inHost(process.execPath, [script, "teardown"]), "seed teardown");
    const result = teardown.json as { bridgeRemoved: boolean; firewallRemoved: boolean };
    assert.equal(result.bridgeRemoved, true);
    assert.equal(result.firewallRemoved, true);

    // Nothing left: config file, store rows, host links, nftables objects of the network.
    assert.equal(existsSync(path), false);
    assert.deepEqual(readdirSync(lab.configDir), []);
    const store = SqliteStore.open(lab.dataDir);
    try {
      assert.deepEqual(store.listNetworks(), []);
      assert.deepEqual(store.listAttachments(), []);
      assert.deepEqual(store.listReservations(), []);
    } finally {
      store.close();
    }
    const links = lab.hostLinks().map((l) => l.ifname);
    assert.deepEqual(links, ["lo"], `host links left: ${links.join(", ")}`);
    const ruleset = nsExec(lab.host.name, "nft", ["list", "ruleset"]);
    assert.ok(!ruleset.includes(`n_${network.id}_`), `nft objects of the network are gone:\n${ruleset}`);
  });
});
