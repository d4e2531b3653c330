/**
 * docker.io 20.10 with quantumd as its remote network and IPAM driver (DockerLab: a private dockerd
 * in a private netns and mount namespace). End to end through the docker CLI, checked against
 * independent oracles: `docker inspect`, `ip -j` in the container's netns and in the host netns,
 * `nft -j`, our store, and pings between the containers.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readlinkSync, statSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { SqliteStore } from "../../src/store/index.js";
import { quantumctlBin } from "../cli/ctl.js";
import { binDir, referenceDir } from "../helpers/cni-runner.js";
import { createTestNetns, deleteTestNetns, ipJson, type TestNetns } from "../helpers/netns.js";
import { runProcess } from "../helpers/process.js";
import { DOCKER_BIN, DOCKER_ROOT, DOCKERD_BIN, DockerLab, IMAGE } from "./docker.js";
import { LibcniDriver } from "./libcni-driver.js";
import { waitFor } from "./net.js";
import { requireCommands, requireRoot, requireStaticBusybox } from "./preflight.js";

const NET = "qrt-dnet"; // the quantum network's name (-o name=…)
const DNET = "qrtdnet"; // Docker's name for it
const STRICT = "qrt-dstrict";
const V4 = "10.97.0";
const V6 = "fd97::";

interface IpAddr {
  ifname: string;
  mtu: number;
  link_index?: number;
  addr_info: { family: string; local: string; prefixlen: number }[];
}
interface IpLink {
  ifindex: number;
  ifname: string;
  master?: string;
  link_type?: string;
  linkinfo?: { info_kind?: string };
  mtu: number;
}

function endpointOf(request: unknown): string | undefined {
  return (request as { EndpointID?: string } | null)?.EndpointID;
}

/** `ip -j` inside a container's netns (by its pid). */
function ipInPid<T>(pid: number, args: string[]): T {
  return JSON.parse(execFileSync("nsenter", [`--net=/proc/${pid}/ns/net`, "ip", "-j", ...args], { encoding: "utf8" }));
}

function iptablesS(lab: DockerLab, chain: string): string {
  return execFileSync("ip", ["netns", "exec", lab.host.name, "iptables", "-w", "5", "-S", chain], { encoding: "utf8" });
}

function nftJson(lab: DockerLab): string {
  return execFileSync("ip", ["netns", "exec", lab.host.name, "nft", "-j", "list", "ruleset"], { encoding: "utf8" });
}

describe("docker.io 20.10: quantumd as remote network + IPAM driver", { timeout: 170_000 }, () => {
  let lab: DockerLab | undefined;
  let cniNs: TestNetns | undefined;
  const sleepers: ChildProcess[] = [];
  const ctl = (args: string[]) =>
    runProcess("nsenter", [
      `--net=${lab!.host.path}`,
      quantumctlBin,
      "--data-dir",
      lab!.dataDir,
      "--socket",
      lab!.quantumSocket,
      ...args,
    ]);
  const store = <T>(fn: (s: SqliteStore) => T): T => {
    const s = SqliteStore.open(lab!.dataDir);
    try {
      return fn(s);
    } finally {
      s.close();
    }
  };
  const reservedIps = (network: string) =>
    store((s) =>
      s
        .listReservations(network)
        .map((r) => r.ip)
        .sort(),
    );

  before(async () => {
    requireRoot();
    if (!existsSync(DOCKERD_BIN) || !existsSync(DOCKER_BIN)) {
      throw new Error(
        `docker.io is not extracted in ${DOCKER_ROOT}: run \`bash scripts/install-docker.sh\` as root (scripts/setup.sh does)`,
      );
    }
    requireCommands([
      DOCKER_BIN,
      DOCKERD_BIN,
      "containerd",
      "runc",
      "iptables",
      "nsenter",
      "unshare",
      "ip",
      "nft",
      "tar",
    ]);
    const busybox = requireStaticBusybox();
    // dockerd as on a real host: iptables, masquerade, forwarding and docker0 on (in our netns only).
    lab = new DockerLab(undefined, { ownBridge: "10.96.0.1/24" });
    await lab.startHolder();
    // The plugin socket must exist before dockerd starts (operations.md): quantumd first.
    await lab.startQuantumd();
    await lab.startDockerd();
    const applets = execFileSync(busybox, ["--list"], { encoding: "utf8" }).split("\n");
    await lab.importImage(busybox, applets);
  });

  after(async () => {
    for (const p of sleepers) p.kill("SIGKILL");
    if (cniNs) deleteTestNetns(cniNs);
    if (process.env["QRT_DOCKER_TRACE"] && lab) {
      for (const c of lab.calls()) console.log(JSON.stringify(c));
    }
    await lab?.cleanup();
    assert.deepEqual(lab?.leftovers() ?? [], [], "the docker lab left state on the machine");
  });

  it("network create (dual-stack, mtu, bridge) makes a quantum network, in Docker's call order", async () => {
    const l = lab!;
    await l.must([
      "network",
      "create",
      "-d",
      l.driver,
      "--ipam-driver",
      l.driver,
      "--subnet",
      `${V4}.0/24`,
      "--gateway",
      `${V4}.1`,
      "--ipv6",
      "--subnet",
      `${V6}/64`,
      "-o",
      `name=${NET}`,
      "-o",
      "mtu=1400",
      "-o",
      "bridge=qrtkbr0",
      DNET,
    ]);
    const ls = await ctl(["network", "ls", "--json"]);
    assert.equal(ls.code, 0, ls.stderr);
    const net = (JSON.parse(ls.stdout) as Record<string, unknown>[]).find((n) => n["name"] === NET);
    assert.ok(net, `quantumctl network ls has no ${NET}: ${ls.stdout}`);
    assert.deepEqual(net["subnets"], [
      { subnet: `${V4}.0/24`, gateway: `${V4}.1` },
      { subnet: `${V6}/64`, gateway: `${V6}1` },
    ]);
    assert.equal(net["bridge"], "qrtkbr0");
    assert.equal(net["mtu"], 1400);
    assert.equal(net["isolation"], "none");
    const inspect = JSON.parse(await l.must(["network", "inspect", DNET]))[0] as { Id: string; Driver: string };
    assert.equal(inspect.Driver, l.driver);
    assert.equal((net["labels"] as Record<string, string>)["docker.network.id"], inspect.Id);
    const order = l
      .calls()
      .map((c) => c.method)
      .filter((m) => !m.endsWith("GetCapabilities") && m !== "Plugin.Activate");
    assert.deepEqual(order, [
      "IpamDriver.GetDefaultAddressSpaces",
      "IpamDriver.RequestPool",
      "IpamDriver.RequestAddress",
      "IpamDriver.RequestPool",
      "IpamDriver.RequestAddress",
      "NetworkDriver.CreateNetwork",
    ]);
    // Nothing in the kernel yet: the bridge comes with the first endpoint, as for CNI.
    assert.equal(reservedIps(NET).length, 0);
  });

  it("an overlapping or invalid create is refused with Docker's error, leaving nothing", async () => {
    const l = lab!;
    const create = (args: string[], name: string) =>
      l.docker(["network", "create", "-d", l.driver, "--ipam-driver", l.driver, ...args, name]);
    const cases: [string[], RegExp][] = [
      [["--subnet", `${V4}.128/25`], /overlaps subnet 10\.97\.0\.0\/24 of quantum network "qrt-dnet"/],
      [["--subnet", "10.98.0.1/24"], /host bits are set/],
      [["--subnet", "10.98.0.0/24", "-o", "isolation=bogus"], /option "isolation": invalid value "bogus"/],
      [["--subnet", "10.98.0.0/24", "-o", "colour=blue"], /unknown option "colour"/],
      [["--subnet", "10.98.0.0/24", "-o", "mtu=9"], /option "mtu": invalid value "9"/],
      [[], /quantum does not choose subnets/],
      [["--subnet", "10.98.0.0/24", "--ip-range", "10.98.0.128/25"], /--ip-range .* is not supported/],
      [["--subnet", "10.98.0.0/24", "--ipam-opt", "k=v"], /quantum's IPAM takes no options/],
      [["--subnet", "10.98.0.0/24", "--internal", "-o", "isolation=none"], /--internal contradicts/],
    ];
    for (const [args, re] of cases) {
      const r = await create(args, "qrtbad");
      assert.notEqual(r.code, 0, `accepted: ${args.join(" ")}`);
      assert.match(r.stderr, re, `${args.join(" ")}: ${r.stderr}`);
    }
    // Another IPAM driver's pool is refused by the network driver (its addresses would not be ours).
    const other = await l.docker(["network", "create", "-d", l.driver, "--subnet", "10.98.0.0/24", "qrtbad"]);
    assert.notEqual(other.code, 0);
    assert.match(other.stderr, /was not allocated by quantum's IPAM/);
    const ls = JSON.parse((await ctl(["network", "ls", "--json"])).stdout) as { name: string }[];
    assert.deepEqual(
      ls.map((n) => n.name),
      [NET],
    );
    // --internal is our internal isolation.
    await l.must([
      "network",
      "create",
      "-d",
      l.driver,
      "--ipam-driver",
      l.driver,
      "--subnet",
      "10.98.0.0/24",
      "--internal",
      "qrtint",
    ]);
    const internal = (JSON.parse((await ctl(["network", "ls", "--json"])).stdout) as Record<string, unknown>[]).find(
      (n) => (n["labels"] as Record<string, string>)["docker.network.id"] !== undefined && n["name"] !== NET,
    );
    assert.equal(internal?.["isolation"], "internal");
    await l.must(["network", "rm", "qrtint"]);
    // The refused pools were released again: the same subnet is now accepted.
    await l.must([
      "network",
      "create",
      "-d",
      l.driver,
      "--ipam-driver",
      l.driver,
      "--subnet",
      "10.98.0.0/24",
      "-o",
      "isolation=strict",
      "-o",
      `name=${STRICT}`,
      "qrtstrict",
    ]);
  });

  it("after a quantumd restart, docker run gets a veth on our bridge with our addresses (and --ip)", async () => {
    const l = lab!;
    await l.stopQuantumd();
    await l.startQuantumd();
    await l.must(["run", "-d", "--name", "qd1", "--network", DNET, IMAGE, "sleep", "1000"]);
    await l.must(["run", "-d", "--name", "qd2", "--network", DNET, "--ip", `${V4}.77`, IMAGE, "sleep", "1000"]);
    const ips: Record<string, { v4: string; v6: string }> = {};
    for (const name of ["qd1", "qd2"]) {
      const ins = JSON.parse(await l.must(["inspect", name]))[0] as {
        NetworkSettings: {
          Networks: Record<string, { IPAddress: string; GlobalIPv6Address: string; Gateway: string }>;
        };
      };
      const n = ins.NetworkSettings.Networks[DNET]!;
      assert.equal(n.Gateway, `${V4}.1`);
      ips[name] = { v4: n.IPAddress, v6: n.GlobalIPv6Address };
      // The kernel in the container agrees with Docker.
      const pid = await l.pidOf(name);
      const [eth0] = ipInPid<IpAddr[]>(pid, ["addr", "show", "eth0"]);
      assert.ok(eth0, `${name} has no eth0`);
      assert.equal(eth0.mtu, 1400);
      const addrs = eth0.addr_info
        .filter((a) => a.family === "inet" || !a.local.startsWith("fe80"))
        .map((a) => `${a.local}/${a.prefixlen}`);
      assert.deepEqual(addrs.sort(), [`${n.IPAddress}/24`, `${n.GlobalIPv6Address}/64`].sort());
      // Its peer is a veth port of our bridge in the host netns.
      const links = ipJson<IpLink[]>(l.host.name, ["-d", "link", "show"]);
      const peer = links.find((x) => x.ifindex === eth0.link_index);
      assert.equal(peer?.master, "qrtkbr0", `eth0's peer is not on qrtkbr0: ${JSON.stringify(peer)}`);
      assert.equal(peer?.linkinfo?.info_kind, "veth");
    }
    assert.equal(ips["qd2"]!.v4, `${V4}.77`);
    assert.match(ips["qd1"]!.v4, /^10\.97\.0\.\d+$/);
    assert.match(ips["qd1"]!.v6, /^fd97::/);
    const ports = ipJson<IpLink[]>(l.host.name, ["-d", "link", "show", "master", "qrtkbr0"]);
    assert.equal(ports.length, 2, JSON.stringify(ports));
    // Our store holds exactly those addresses; the firewall has them as elements.
    assert.deepEqual(reservedIps(NET), [ips["qd1"]!.v4, ips["qd2"]!.v4, ips["qd1"]!.v6, ips["qd2"]!.v6].sort());
    // Recorded under the network's range set ids, as a CNI ADD records them (0: IPv4, 1: IPv6).
    for (const r of store((st) => st.listReservations(NET))) assert.equal(r.rangeId, r.ip.includes(":") ? "1" : "0");
    const nft = nftJson(l);
    for (const ip of Object.values(ips).flatMap((x) => [x.v4, x.v6]))
      assert.ok(nft.includes(`"${ip}"`), `nft lacks ${ip}`);
    // They reach each other and the gateway, over IPv4 and IPv6.
    for (const target of [ips["qd2"]!.v4, `${V4}.1`]) await l.must(["exec", "qd1", "ping", "-c1", "-W3", target]);
    for (const target of [ips["qd2"]!.v6, `${V6}1`]) await l.must(["exec", "qd1", "ping6", "-c1", "-W3", target]);
    // dockerd's FORWARD policy is DROP: our bridge is let through in DOCKER-USER (our nft decides).
    const dockerUser = iptablesS(l, "DOCKER-USER");
    assert.match(dockerUser, /-A DOCKER-USER -i qrtkbr0 .*quantum:qrt-dnet.* -j ACCEPT/);
    assert.match(dockerUser, /-A DOCKER-USER -o qrtkbr0 .*quantum:qrt-dnet.* -j ACCEPT/);
    assert.match(iptablesS(l, "FORWARD"), /^-P FORWARD DROP/m);
    // --ip of a taken address is refused by our IPAM, in Docker's words.
    const dup = await l.docker(["run", "--rm", "--network", DNET, "--ip", `${V4}.77`, IMAGE, "true"]);
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /requested IP "10\.97\.0\.77" is already reserved/);
  });

  it("a CNI container on the same network reaches the Docker ones; no address is given twice", async () => {
    const l = lab!;
    const conf = await ctl(["config", "show", NET, "--json"]);
    assert.equal(conf.code, 0, conf.stderr);
    const chain = new LibcniDriver(conf.stdout, {
      hostNetns: l.host.name,
      cacheDir: `${l.root}/cni-cache`,
      cniPath: [binDir, referenceDir],
      env: { QUANTUM_SOCKET: l.quantumSocket },
    });
    cniNs = createTestNetns("qrtkc");
    // quantumd sees the private mount namespace (tmpfs on /run hides /run/netns): name the
    // container's netns by a process in it, as containerd does (/proc/<pid>/ns/net).
    const sleeper = spawn("ip", ["netns", "exec", cniNs.name, "sleep", "1000"], { stdio: "ignore" });
    sleepers.push(sleeper);
    const att = { containerId: "qrt-cni-1", netns: `/proc/${sleeper.pid}/ns/net`, ifname: "eth0" };
    await waitFor("the sleeper in the CNI netns", () => {
      try {
        return readlinkSync(att.netns) === `net:[${statSync(cniNs!.path).ino}]`;
      } catch {
        return false;
      }
    });
    const { json } = await chain.add(att);
    const cniIps = (json["ips"] as { address: string }[]).map((i) => i.address.split("/")[0]!);
    const dockerIps = JSON.parse(
      await l.must(["inspect", "--format", "{{json .NetworkSettings.Networks}}", "qd1"]),
    ) as Record<string, { IPAddress: string }>;
    const qd1 = dockerIps[DNET]!.IPAddress;
    assert.ok(!cniIps.includes(qd1) && !cniIps.includes(`${V4}.77`), `CNI got a Docker address: ${cniIps}`);
    // Both directions, across runtimes.
    execFileSync("ip", ["netns", "exec", cniNs.name, "ping", "-c1", "-W3", qd1]);
    await l.must(["exec", "qd1", "ping", "-c1", "-W3", cniIps[0]!]);
    // Docker may not take the CNI container's address, and its next one is a fresh one.
    const taken = await l.docker(["run", "--rm", "--network", DNET, "--ip", cniIps[0]!, IMAGE, "true"]);
    assert.match(taken.stderr, /already reserved by container "qrt-cni-1"/);
    await l.must(["run", "-d", "--name", "qd3", "--network", DNET, IMAGE, "sleep", "1000"]);
    const all = reservedIps(NET);
    assert.equal(new Set(all).size, all.length);
    assert.equal(all.filter((ip) => ip.startsWith(V4)).length, 4, `qd1, qd2, qd3 and the CNI container: ${all}`);
    await chain.del(att);
    sleeper.kill("SIGKILL");
  });

  it("strict isolation from our nftables: containers reach the gateway, not each other", async () => {
    const l = lab!;
    await l.must(["run", "-d", "--name", "qs1", "--network", "qrtstrict", IMAGE, "sleep", "1000"]);
    await l.must(["run", "-d", "--name", "qs2", "--network", "qrtstrict", IMAGE, "sleep", "1000"]);
    const ipOf = async (n: string) =>
      await l.must(["inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", n]);
    const qs2 = await ipOf("qs2");
    await l.must(["exec", "qs1", "ping", "-c1", "-W3", "10.98.0.1"]);
    const blocked = await l.docker(["exec", "qs1", "ping", "-c1", "-W1", qs2]);
    assert.notEqual(blocked.code, 0, "strict: qs1 reached qs2");
    // Nor across networks: strict is internal too.
    const qd1 = JSON.parse(await l.must(["inspect", "--format", "{{json .NetworkSettings.Networks}}", "qd1"]))[DNET]
      .IPAddress;
    const across = await l.docker(["exec", "qs1", "ping", "-c1", "-W1", qd1]);
    assert.notEqual(across.code, 0, "strict: qs1 reached another network");
    await l.must(["rm", "-f", "qs1", "qs2"]);
  });

  it("quantumd down: docker run fails cleanly and leaves nothing; up again, it works", async () => {
    const l = lab!;
    const before = reservedIps(NET);
    const portsBefore = ipJson<IpLink[]>(l.host.name, ["link", "show", "master", "qrtkbr0"]).length;
    await l.stopQuantumd();
    const r = await l.docker(["run", "-d", "--name", "qdown", "--network", DNET, IMAGE, "sleep", "1000"]);
    assert.notEqual(r.code, 0, "docker run succeeded without its driver");
    assert.match(
      r.stderr,
      new RegExp(`dial unix /run/docker/plugins/${l.driver}\\.sock: connect: no such file`),
      r.stderr,
    );
    await l.docker(["rm", "-f", "qdown"]);
    await l.startQuantumd();
    assert.deepEqual(reservedIps(NET), before);
    assert.equal(ipJson<IpLink[]>(l.host.name, ["link", "show", "master", "qrtkbr0"]).length, portsBefore);
    await l.must(["run", "-d", "--name", "qdup", "--network", DNET, IMAGE, "sleep", "1000"]);
  });

  it("quantumd hung and killed during a docker run: the run fails, nothing is left", async () => {
    const l = lab!;
    const before = reservedIps(NET);
    l.freezeQuantumd();
    const run = l.docker(["run", "-d", "--name", "qhung", "--network", DNET, IMAGE, "sleep", "1000"]);
    // Docker has connected and is waiting for an answer that never comes (it has no timeout).
    await new Promise((r) => setTimeout(r, 1500));
    await l.killQuantumd();
    const r = await run;
    assert.notEqual(r.code, 0, "docker run succeeded with its driver killed");
    await l.docker(["rm", "-f", "qhung"]);
    await l.startQuantumd();
    assert.deepEqual(reservedIps(NET), before);
    // Killed and started again at once: Docker's plugin client re-sends the interrupted call, but
    // (20.10) without its body; that is refused in Docker's words and nothing is reserved.
    l.freezeQuantumd();
    const again = l.docker(["run", "-d", "--name", "qhung2", "--network", DNET, IMAGE, "sleep", "1000"]);
    await new Promise((r) => setTimeout(r, 1500));
    await l.killQuantumd();
    await l.startQuantumd();
    const r2 = await again;
    if (r2.code !== 0) {
      assert.match(r2.stderr, /RequestAddress: invalid request: PoolID: Required/, r2.stderr);
      assert.deepEqual(reservedIps(NET), before);
    } else {
      // A Docker that re-sends the body: the run succeeds with an address of ours.
      const ip = await l.must([
        "inspect",
        "--format",
        `{{(index .NetworkSettings.Networks "${DNET}").IPAddress}}`,
        "qhung2",
      ]);
      assert.deepEqual(reservedIps(NET), [...before, ip].sort());
    }
    await l.docker(["rm", "-f", "qhung2"]);
    assert.deepEqual(reservedIps(NET), before);
  });

  it("a call stuck past the deadline fails the run at the deadline; its late success is undone", async () => {
    const l = lab!;
    const before = reservedIps(NET);
    // Another writer holds the store's write lock: the driver's RequestAddress waits (busy timeout 10 s).
    const db = new Database(`${l.dataDir}/quantum.db`);
    db.exec("BEGIN IMMEDIATE");
    let released = false;
    try {
      const t0 = performance.now();
      const r = await l.docker(["run", "-d", "--name", "qslow", "--network", DNET, IMAGE, "sleep", "1000"]);
      const seconds = (performance.now() - t0) / 1000;
      assert.notEqual(r.code, 0, "docker run succeeded although its address could not be taken");
      assert.match(r.stderr, /RequestAddress did not finish within 2000 ms/, r.stderr);
      assert.ok(seconds < 9, `docker run waited ${seconds} s: longer than the deadline plus Docker's own work`);
      db.exec("ROLLBACK");
      released = true;
    } finally {
      if (!released) db.exec("ROLLBACK");
      db.close();
    }
    // The RequestAddress now completes in the worker and is undone with a ReleaseAddress.
    await waitFor("the late RequestAddress to be undone", () => l.quantumdLog.includes("undone after its deadline"));
    const undone = l.quantumdLog
      .split("\n")
      .filter((line) => line.includes("undone after its deadline"))
      .map((line) => JSON.parse(line) as { method: string; error?: string });
    assert.deepEqual(
      undone.map((u) => [u.method, u.error]),
      [["IpamDriver.ReleaseAddress", undefined]],
    );
    assert.deepEqual(reservedIps(NET), before);
    await l.docker(["rm", "-f", "qslow"]);
  });

  it("docker rm and docker network rm release everything (store, links, nft)", async () => {
    const l = lab!;
    // Three quantumd restarts later, the endpoints still work and doctor finds nothing wrong.
    const qd2 = JSON.parse(await l.must(["inspect", "--format", "{{json .NetworkSettings.Networks}}", "qd2"]))[DNET];
    await l.must(["exec", "qd1", "ping", "-c1", "-W3", qd2.IPAddress]);
    const doctor = await ctl(["doctor", "--json"]);
    assert.equal((JSON.parse(doctor.stdout) as { ok: boolean }).ok, true, doctor.stdout);
    const held = reservedIps(NET);
    await l.must(["rm", "-f", "qd1", "qd2", "qd3", "qdup"]);
    assert.deepEqual(reservedIps(NET), []);
    assert.equal(ipJson<IpLink[]>(l.host.name, ["link", "show", "master", "qrtkbr0"]).length, 0);
    const nftAfterRm = nftJson(l);
    for (const ip of held) assert.ok(!nftAfterRm.includes(`"${ip}"`), `nft still has ${ip}`);
    // Docker's order per endpoint (several containers are removed at once, so calls interleave).
    const calls = l.calls();
    const endpoints = new Set(
      calls.filter((c) => c.method === "NetworkDriver.RevokeExternalConnectivity").map((c) => endpointOf(c.request)),
    );
    assert.ok(endpoints.size >= 4);
    for (const ep of endpoints) {
      const mine = calls.filter((c) => endpointOf(c.request) === ep).map((c) => c.method);
      assert.deepEqual(mine.slice(-3), [
        "NetworkDriver.RevokeExternalConnectivity",
        "NetworkDriver.Leave",
        "NetworkDriver.DeleteEndpoint",
      ]);
    }
    await l.must(["network", "rm", DNET, "qrtstrict"]);
    const ls = JSON.parse((await ctl(["network", "ls", "--json"])).stdout) as unknown[];
    assert.deepEqual(ls, []);
    store((s) => {
      assert.deepEqual(s.listReservations(), []);
      assert.deepEqual(s.listAttachments(), []);
      const state = JSON.parse(s.getMeta(`docker-driver:${l.driver}`) ?? "{}") as Record<string, object>;
      assert.deepEqual([state["pools"], state["networks"], state["endpoints"]], [{}, {}, {}]);
    });
    // Only Docker's own docker0 is left (and loopback); our DOCKER-USER rules are gone.
    const links = ipJson<IpLink[]>(l.host.name, ["link", "show"]).map((x) => x.ifname);
    assert.deepEqual(links.sort(), ["docker0", "lo"]);
    assert.doesNotMatch(iptablesS(l, "DOCKER-USER"), /quantum:/);
    const nft = JSON.parse(nftJson(l)) as { nftables: Record<string, { name?: string }>[] };
    const chains = nft.nftables.filter((o) => o["chain"] && /^n_/.test(o["chain"]!.name ?? ""));
    assert.deepEqual(chains, [], "per-network chains left in nft");
  });
  it("a dockerd restart releases its containers' endpoints and re-attaches those that restart", async () => {
    const l = lab!;
    const net = "qrt-drestart";
    await l.must([
      "network",
      "create",
      "-d",
      l.driver,
      "--ipam-driver",
      l.driver,
      "--subnet",
      "10.99.0.0/24",
      "-o",
      `name=${net}`,
      "qrtrestart",
    ]);
    await l.must([
      "run",
      "-d",
      "--name",
      "qr1",
      "--stop-timeout",
      "1",
      "--network",
      "qrtrestart",
      IMAGE,
      "sleep",
      "1000",
    ]);
    await l.must([
      "run",
      "-d",
      "--name",
      "qr2",
      "--restart",
      "always",
      "--stop-timeout",
      "1",
      "--network",
      "qrtrestart",
      IMAGE,
      "sleep",
      "1000",
    ]);
    const bridge = (JSON.parse((await ctl(["network", "inspect", net, "--json"])).stdout) as { bridge: string }).bridge;
    await l.restartDockerd();
    const ip2 = await l.must([
      "inspect",
      "--format",
      "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
      "qr2",
    ]);
    // qr1 stopped (its address and veth released), qr2 came back with a fresh endpoint.
    assert.deepEqual(reservedIps(net), [ip2]);
    assert.equal(ipJson<IpLink[]>(l.host.name, ["link", "show", "master", bridge]).length, 1);
    await l.must(["start", "qr1"]);
    await l.must(["exec", "qr1", "ping", "-c1", "-W3", ip2]);
    await l.must(["rm", "-f", "qr1", "qr2"]);
    await l.must(["network", "rm", "qrtrestart"]);
    assert.deepEqual(reservedIps(net), []);
    store((st) => assert.deepEqual(st.listAttachments(), []));
  });
});
