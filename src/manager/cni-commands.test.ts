// The CNI verbs of the manager, through the protocol's dispatcher, over a dataplane of fakes (no
// root): what a runtime sees for ADD, CHECK, DEL, GC and STATUS, and every answer's code.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { cniRun } from "../cni/index.js";
import type { NetworkDriver } from "../network/driver.js";
import { NetworkDriverType } from "../network/index.js";
import { overlayDriver } from "../network/overlay/index.js";
import { FakeDriver, FakeFirewall, FakeKernel } from "../network/testing/index.js";
import { CniCommands } from "./cni-commands.js";

let dir: string;
let kernel: FakeKernel;
let firewall: FakeFirewall;
let commands: CniCommands;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "qcmd-"));
  kernel = new FakeKernel();
  firewall = new FakeFirewall();
  commands = new CniCommands({
    defaultDataDir: join(dir, "data"),
    kernel,
    firewall,
    // The real overlay driver: with no fabric lease it refuses before touching the kernel.
    drivers: new Map<NetworkDriverType, NetworkDriver>([
      [NetworkDriverType.Bridge, new FakeDriver(NetworkDriverType.Bridge, kernel)],
      [NetworkDriverType.Overlay, overlayDriver],
    ]),
  });
  for (const n of [1, 2, 3]) kernel.addNetns(`/run/netns/u${n}`);
});
after(() => {
  commands.close();
  rmSync(dir, { recursive: true, force: true });
});

const CONF = { cniVersion: "1.0.0", name: "unit-net", type: "quantum", subnet: "10.77.0.0/24" };

async function call(command: string, n: number, conf: Record<string, unknown> = CONF, netns = `/run/netns/u${n}`) {
  const env = {
    CNI_COMMAND: command,
    CNI_CONTAINERID: `unit${n}`,
    CNI_NETNS: netns,
    CNI_IFNAME: "eth0",
    CNI_PATH: "/nonexistent",
  };
  const out: string[] = [];
  const outcome = await cniRun(commands, {
    env,
    stdin: Buffer.from(JSON.stringify(conf)),
    stdout: (s) => void out.push(s),
    stderr: () => undefined,
  });
  const text = out.join("");
  return { ...outcome, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

describe("CniCommands over fakes", () => {
  test("ADD answers a result in the config's version; CHECK with it passes; DEL twice succeeds", async () => {
    const add = await call("ADD", 1);
    assert.equal(add.exitCode, 0, JSON.stringify(add.json));
    assert.equal(add.json?.["cniVersion"], "1.0.0");
    assert.deepEqual(
      ((add.json?.["ips"] ?? []) as { address: string }[]).map((ip) => ip.address),
      ["10.77.0.2/24"],
    );
    const check = await call("CHECK", 1, { ...CONF, prevResult: add.json });
    assert.equal(check.exitCode, 0, JSON.stringify(check.json));
    assert.equal((await call("DEL", 1)).exitCode, 0);
    assert.equal((await call("DEL", 1, CONF, "")).exitCode, 0, "a DEL without netns after the first");
    assert.deepEqual(firewall.networks.get([...firewall.networks.keys()][0] ?? "") ?? [], []);
  });

  test("the codes a runtime sees: duplicate 102, exhausted 100, bad netns 4, bad key 7, unsupported 2, no lease 11", async () => {
    assert.equal((await call("ADD", 2)).exitCode, 0);
    assert.equal((await call("ADD", 2)).code, 102);
    const tiny = { ...CONF, name: "tiny-net", subnet: "10.78.0.0/30" };
    assert.equal((await call("ADD", 3, tiny)).code, 0);
    assert.equal((await call("ADD", 1, tiny)).code, 100);
    assert.equal((await call("ADD", 9)).code, 4);
    assert.equal((await call("ADD", 1, { ...CONF, mtu: 10 })).code, 7);
    assert.equal((await call("ADD", 1, { ...CONF, vlan: 3 })).code, 2);
    assert.equal((await call("ADD", 1, { ...CONF, driver: "macvlan", master: "eth9" })).code, 2, "a driver it lacks");
    // An overlay network on a node that holds no fabric lease yet: try again later.
    const { subnet: _subnet, ...noSubnet } = CONF;
    assert.equal((await call("ADD", 1, { ...noSubnet, name: "ovl-net", driver: "overlay" })).code, 11);
    await call("DEL", 2);
    await call("DEL", 3, tiny);
  });

  test("GC keeps what the runtime lists as valid and frees the rest", async () => {
    for (const n of [1, 2, 3]) assert.equal((await call("ADD", n)).exitCode, 0);
    const gc = await call("GC", 0, {
      ...CONF,
      cniVersion: "1.1.0",
      "cni.dev/valid-attachments": [{ containerID: "unit2", ifname: "eth0" }],
    });
    assert.equal(gc.exitCode, 0, JSON.stringify(gc.json));
    const left = commands.dataplane(join(dir, "data")).store.listAttachments("unit-net");
    assert.deepEqual(
      left.map((a) => a.containerId),
      ["unit2"],
    );
    await call("DEL", 2);
  });

  test("STATUS: ready, then 50 with every reason when not", async () => {
    const ok = await call("STATUS", 0, { ...CONF, cniVersion: "1.1.0" });
    assert.equal(ok.exitCode, 0);
    kernel.nft = false;
    try {
      const notReady = await call("STATUS", 0, { ...CONF, cniVersion: "1.1.0" });
      assert.equal(notReady.code, 50);
      assert.match(String(notReady.json?.["msg"]), /nftables \(nft\) is not installed/);
    } finally {
      kernel.nft = true;
    }
  });
});
