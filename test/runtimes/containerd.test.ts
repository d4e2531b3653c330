/**
 * containerd 1.6's `ctr run --cni` with a private containerd (ContainerdLab): a busybox container
 * on a quantum network (conflist installed by quantumctl into the dir bind-mounted over
 * /etc/cni/net.d) gets its address, matching our result as go-cni cached it and our store; it pings
 * the gateway; when it exits, ctr sends DEL with an empty CNI_NETNS (the container's netns is gone
 * by then) and that DEL releases everything: reservation, attachment, nft element, cache entry.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SqliteStore } from "../../src/store/index.js";
import { quantumctlBin } from "../cli/ctl.js";
import { ipJson, nsExec } from "../helpers/netns.js";
import { testRegistryDir } from "../helpers/registry.js";
import { ContainerdLab } from "./containerd.js";
import { waitFor } from "./net.js";
import { must, runIn } from "./podman.js";
import { requireCommands, requireReferencePlugins, requireRoot, requireStaticBusybox } from "./preflight.js";

const NET = "qrt-ctdnet";
const SUBNET = "10.86.0";

describe("containerd 1.6: ctr run --cni with a private containerd", () => {
  let lab: ContainerdLab | undefined;
  let leftovers: string[] = [];

  before(async () => {
    requireRoot();
    requireCommands(["containerd", "ctr", "containerd-shim-runc-v2", "runc", "unshare", "nsenter"]);
    requireReferencePlugins(["loopback"]);
    const busybox = requireStaticBusybox();
    lab = new ContainerdLab();
    const applets = must(await runIn(lab.host.path, busybox, ["--list"], { PATH: process.env.PATH }), "busybox --list");
    lab.buildRootfs(busybox, applets.stdout.split("\n"));
    // quantumctl registers the network host-wide: in the tests' registry, never the machine's.
    const env = { PATH: process.env.PATH, QUANTUM_REGISTRY_DIR: testRegistryDir() };
    const globals = ["--data-dir", lab.dataDir, "--config-dir", lab.configDir, "--plugin-dir", lab.pluginDir];
    // A socket nobody serves: the shim runs the plugin in direct mode (podman's test covers quantumd).
    globals.push("--socket", join(lab.root, "no-quantumd.sock"));
    must(
      await runIn(
        lab.host.path,
        quantumctlBin,
        [...globals, "network", "create", NET, "--subnet", `${SUBNET}.0/24`, "--install"],
        env,
      ),
      "quantumctl network create",
    );
    await lab.start();
  });

  after(async () => {
    await lab?.cleanup();
    leftovers = lab?.leftovers() ?? [];
    assert.deepEqual(leftovers, [], "containerd left state on the machine");
  });

  it("the container gets its address; the DEL with an empty CNI_NETNS releases everything", async () => {
    const l = lab!;
    const id = "qrt-c1";
    const cniId = `${l.namespace}-${id}`; // ctr's FullID: <namespace>-<id>
    const go = join(l.rootfs, "tmp", "go");
    const run = l.ctr([
      "run",
      "--rm",
      "--cni",
      "--cgroup",
      l.cgroupOf(id),
      "--rootfs",
      l.rootfs,
      id,
      "/bin/sh",
      "-c",
      `ip -4 addr show dev eth0; echo ready; while [ ! -e /tmp/go ]; do sleep 0.1; done; ping -c 1 -W 2 ${SUBNET}.1`,
    ]);
    await Promise.race([
      waitFor("the container to print its address", () => run.stdout().includes("ready"), 60_000),
      run.done.then((r) => {
        throw new Error(`ctr run ended early: exit ${r.code}\n${r.stdout}\n${r.stderr}\n${l.log.slice(-2000)}`);
      }),
    ]);
    const inet = /inet (\d+\.\d+\.\d+\.\d+\/\d+)/.exec(run.stdout())?.[1];
    assert.ok(inet, `eth0 has an IPv4 address:\n${run.stdout()}`);
    const ip = inet.split("/")[0]!;

    // ADD: go-cni passed /proc/<pid>/ns/net; our result (go-cni's libcni cache) is what the container has.
    const trace = l.trace();
    assert.match(trace[0] ?? "", new RegExp(`^ADD netns=\\[/proc/\\d+/ns/net\\] id=${cniId} if=eth0$`));
    const cachePath = join(l.cacheDir, "results", `${NET}-${cniId}-eth0`);
    const cached = JSON.parse(readFileSync(cachePath, "utf8")) as {
      result: { ips: { address: string; gateway: string }[] };
    };
    assert.deepEqual(
      cached.result.ips.map((i) => [i.address, i.gateway]),
      [[inet, `${SUBNET}.1`]],
    );
    const store = SqliteStore.open(l.dataDir);
    try {
      assert.deepEqual(
        store.listReservations(NET).map((r) => [r.containerId, r.ip]),
        [[cniId, ip]],
      );
    } finally {
      store.close();
    }
    assert.match(nft(l), new RegExp(ip.replace(/\./g, "\\.")), "nft holds the container's address");

    // Let the container finish: it pings the gateway and exits; ctr then DELs.
    writeFileSync(go, "");
    const done = await run.done;
    assert.equal(done.code, 0, `ctr run: ${done.stdout}\n${done.stderr}`);
    assert.match(done.stdout, /1 packets received/, "the container reached the gateway");

    assert.deepEqual(l.trace().slice(1), [`DEL netns=[] id=${cniId} if=eth0`], "one DEL, with an empty CNI_NETNS");
    const after = SqliteStore.open(l.dataDir);
    try {
      assert.deepEqual(after.listReservations(NET), []);
      assert.deepEqual(after.listAttachments(NET), []);
    } finally {
      after.close();
    }
    assert.doesNotMatch(nft(l), new RegExp(ip.replace(/\./g, "\\.")), "nft element removed");
    assert.equal(existsSync(cachePath), false, "go-cni's cache entry removed");
    const veths = ipJson<{ ifname: string; linkinfo?: { info_kind?: string } }[]>(l.host.name, [
      "-d",
      "link",
      "show",
    ]).filter((x) => x.linkinfo?.info_kind === "veth");
    assert.deepEqual(veths, []);
  });
});

/** Our nft table in the lab's host netns, as text ("" when there is none). */
function nft(l: ContainerdLab): string {
  try {
    return nsExec(l.host.name, "nft", ["list", "table", "inet", "quantum"]);
  } catch {
    return "";
  }
}
