/**
 * podman 4.3 with the CNI backend runs busybox containers on a quantum network that quantumctl
 * created and installed (so the conflist is CniManager's), first with quantumd serving the shim
 * (bin/quantum → the daemon's socket, named by the conflist's socketPath), then with quantumd
 * stopped (the shim falls back to direct mode). Each time: two containers get the addresses
 * `podman inspect` reports and our result says (libcni's cache holds it), they ping each other and
 * the gateway, `podman rm` DELs them, and nothing is left: no veth, no reservation, no nft element,
 * no libcni cache entry, no runc state. podman runs inside a private host netns with private config
 * and storage (PodmanLab); cleanup removes everything even when a step fails.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SqliteStore } from "../../src/store/index.js";
import { quantumctlBin } from "../cli/ctl.js";
import { ipJson } from "../helpers/netns.js";
import { daemonRequests, TestDaemon } from "../server/daemon.js";
import { LIBCNI_RESULTS, must, PodmanLab, runIn } from "./podman.js";
import { requireCommands, requireReferencePlugins, requireRoot, requireStaticBusybox } from "./preflight.js";

const NET = "qrt-podnet";
const SUBNET = "10.84.0";

interface PodmanNet {
  IPAddress: string;
  IPPrefixLen: number;
  Gateway: string;
  MacAddress: string;
}

interface Seen {
  name: string;
  id: string;
  ip: string;
  sandbox: string;
}

describe("podman 4.3 (CNI backend) on a network made by quantumctl", () => {
  let lab: PodmanLab | undefined;
  let daemon: TestDaemon | undefined;
  const leftovers: string[] = [];

  before(async () => {
    requireRoot();
    requireCommands(["podman", "runc", "conmon", "nsenter", "tar"]);
    requireReferencePlugins(["loopback"]);
    const busybox = requireStaticBusybox();
    lab = new PodmanLab();
    await lab.importImage(busybox);
    daemon = new TestDaemon(lab.host.name, { dataDirs: [lab.dataDir] });
    const created = must(
      await ctl(lab, daemon.socket, ["network", "create", NET, "--subnet", `${SUBNET}.0/24`, "--install", "--json"]),
      "quantumctl network create",
    );
    lab.networks.add(NET);
    const conflist = JSON.parse(readFileSync(join(lab.configDir, `${NET}.conflist`), "utf8")) as Record<
      string,
      unknown
    >;
    assert.equal(
      (JSON.parse(created.stdout) as { configFile: string }).configFile,
      join(lab.configDir, `${NET}.conflist`),
    );
    assert.equal(conflist["quantum.managed"], true, "CniManager wrote it");
    const ours = (conflist["plugins"] as Record<string, unknown>[])[0]!;
    assert.equal(ours["socketPath"], daemon.socket);
    assert.equal(ours["dataDir"], lab.dataDir);
  });

  after(async () => {
    try {
      await daemon?.cleanup();
    } finally {
      await lab?.cleanup();
      leftovers.push(...(lab?.leftovers() ?? []));
    }
    assert.deepEqual(leftovers, [], "podman left state on the machine");
  });

  it("with quantumd running: the shim hands every ADD and DEL to the daemon", async () => {
    await daemon!.start();
    const seen = await scenario(lab!, "d");
    await daemon!.idle();
    await assertNothingLeft(lab!, seen);
    const requests = daemonRequests(daemon!.log);
    for (const s of seen) {
      assert.ok(
        requests.some((r) => r.command === "ADD" && r.containerId === s.id && r.code === 0),
        `daemon ADD ${s.name}`,
      );
      assert.ok(
        requests.some((r) => r.command === "DEL" && r.containerId === s.id && r.code === 0),
        `daemon DEL ${s.name}`,
      );
    }
  });

  it("with quantumd stopped: the shim falls back to direct mode", async () => {
    await daemon!.stop();
    const logged = daemonRequests(daemon!.log).length;
    const seen = await scenario(lab!, "x");
    await assertNothingLeft(lab!, seen);
    assert.equal(daemonRequests(daemon!.log).length, logged, "the stopped daemon served nothing");
  });

  /** Two containers: addresses agree (inspect, result, kernel, store), pings, then podman rm. */
  async function scenario(lab: PodmanLab, tag: string): Promise<Seen[]> {
    const seen: Seen[] = [];
    for (const n of [1, 2]) {
      const name = `qrt-${tag}${n}`;
      const id = await lab.run(name, NET, ["sleep", "600"]);
      const info = await lab.inspect(name);
      const net = (info["NetworkSettings"] as { Networks: Record<string, PodmanNet> }).Networks[NET];
      assert.ok(net, `podman inspect ${name} lists ${NET}`);
      const sandbox = (info["NetworkSettings"] as { SandboxKey: string }).SandboxKey;
      lab.sandboxes.add(sandbox);
      // Our result, as libcni cached it for podman.
      const cache = JSON.parse(readFileSync(join(LIBCNI_RESULTS, `${NET}-${id}-eth0`), "utf8")) as {
        result: {
          cniVersion: string;
          interfaces: { name: string; mac: string; sandbox?: string }[];
          ips: { address: string; gateway: string; interface: number }[];
        };
      };
      const result = cache.result;
      assert.equal(result.cniVersion, "1.0.0", "libcni < 1.2 ran the list at its cniVersion");
      assert.equal(result.ips.length, 1);
      const ip = result.ips[0]!;
      assert.equal(ip.address, `${net.IPAddress}/${net.IPPrefixLen}`, "inspect's address is our result's");
      assert.equal(ip.gateway, net.Gateway);
      assert.equal(net.Gateway, `${SUBNET}.1`);
      assert.equal(result.interfaces[ip.interface]?.mac, net.MacAddress);
      assert.equal(result.interfaces[ip.interface]?.sandbox, sandbox);
      // The kernel: the container's eth0 carries exactly that address.
      const addrs = ipJsonAt(sandbox, ["-4", "addr", "show", "dev", "eth0"]);
      assert.deepEqual(addrs, [`${net.IPAddress}/${net.IPPrefixLen}`]);
      // Our store: one attachment and reservation for this container.
      const store = SqliteStore.open(lab.dataDir);
      try {
        assert.deepEqual(
          store
            .listAttachments(NET)
            .filter((a) => a.containerId === id)
            .map((a) => a.ifname),
          ["eth0"],
        );
        assert.deepEqual(
          store
            .listReservations(NET)
            .filter((r) => r.containerId === id)
            .map((r) => r.ip),
          [net.IPAddress],
        );
      } finally {
        store.close();
      }
      seen.push({ name, id, ip: net.IPAddress, sandbox });
    }
    const [a, b] = seen as [Seen, Seen];
    assert.notEqual(a.ip, b.ip);
    must(await lab.podman(["exec", a.name, "ping", "-c", "1", "-W", "2", b.ip]), `${a.name} pings ${b.name}`);
    must(await lab.podman(["exec", b.name, "ping", "-c", "1", "-W", "2", a.ip]), `${b.name} pings ${a.name}`);
    for (const s of seen)
      must(
        await lab.podman(["exec", s.name, "ping", "-c", "1", "-W", "2", `${SUBNET}.1`]),
        `${s.name} pings the gateway`,
      );
    must(await lab.podman(["rm", "-f", "-t", "0", a.name, b.name]), "podman rm");
    return seen;
  }

  /** After podman rm: no veth, reservation, attachment, nft element, cache entry, runc state or netns. */
  async function assertNothingLeft(lab: PodmanLab, seen: Seen[]): Promise<void> {
    const links = ipJson<{ ifname: string; linkinfo?: { info_kind?: string } }[]>(lab.host.name, [
      "-d",
      "link",
      "show",
    ]);
    assert.deepEqual(
      links.filter((l) => l.linkinfo?.info_kind === "veth").map((l) => l.ifname),
      [],
      "no veth in the host netns",
    );
    const store = SqliteStore.open(lab.dataDir);
    try {
      assert.deepEqual(store.listAttachments(NET), []);
      assert.deepEqual(store.listReservations(NET), []);
    } finally {
      store.close();
    }
    const nft = must(
      await runIn(lab.host.path, "nft", ["list", "table", "inet", "quantum"], lab.env),
      "nft list",
    ).stdout;
    for (const s of seen) {
      assert.ok(!nft.includes(s.ip), `nft still names ${s.ip}:\n${nft}`);
      assert.equal(existsSync(join(LIBCNI_RESULTS, `${NET}-${s.id}-eth0`)), false, `libcni cache of ${s.name}`);
      assert.equal(existsSync(join("/run/runc", s.id)), false, `runc state of ${s.name}`);
      assert.equal(existsSync(s.sandbox), false, `netns ${s.sandbox}`);
    }
  }
});

/** quantumctl inside the lab's host netns with every directory pointed into the lab. */
function ctl(lab: PodmanLab, socket: string, args: string[]) {
  const globals = [
    "--data-dir",
    lab.dataDir,
    "--config-dir",
    lab.configDir,
    "--plugin-dir",
    lab.pluginDir,
    "--socket",
    socket,
  ];
  return runIn(lab.host.path, quantumctlBin, [...globals, ...args], lab.env);
}

/** `ip -j <args>` inside a netns given by path, as CIDR strings of the addresses listed. */
function ipJsonAt(netnsPath: string, args: string[]): string[] {
  // nsenter by path: podman's netns lives at /run/netns/netns-<uuid>, not ours to name.
  const out = execFileSync("nsenter", [`--net=${netnsPath}`, "ip", "-j", ...args], {
    encoding: "utf8",
    timeout: 10_000,
  });
  const links = JSON.parse(out || "[]") as { addr_info: { local: string; prefixlen: number; scope: string }[] }[];
  return links.flatMap((l) => l.addr_info.filter((a) => a.scope === "global").map((a) => `${a.local}/${a.prefixlen}`));
}
