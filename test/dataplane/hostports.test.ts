/**
 * Host ports through our own entry (capability portMappings, no portmap plugin): bin/quantum in a
 * private host netns DNATs a host port to a container, in the spelling containerd's go-cni sends
 * (`HostPort`, `ContainerPort`, ...). Checked with real traffic between namespaces the test made:
 * an external client (routed through the host netns) keeps its source address; the host's own
 * localhost and another container on the bridge (hairpin) reach it masqueraded to the gateway; a
 * host-IP-bound mapping answers only on that IP; a host port already taken fails the second ADD
 * cleanly, naming the owner; DEL removes exactly the owner's map elements.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { quantumctlBin } from "../cli/ctl.js";
import { createTestNetns, deleteTestNetns, ipIn, nsExec, type TestNetns } from "../helpers/netns.js";
import { runProcess } from "../helpers/process.js";
import { testRegistryDir } from "../helpers/registry.js";
import { linkClient, PeerServer, tcpProbe } from "../runtimes/net.js";
import { Lab } from "./fixture.js";

const HOST_IP = "10.99.5.1";
const CLIENT_IP = "10.99.5.2";
const HOST_IP6 = "fd00:99:5::1";
const CLIENT_IP6 = "fd00:99:5::2";

describe("host ports: runtimeConfig.portMappings on quantum's own entry", () => {
  let lab: Lab;
  let client: TestNetns;
  let server: PeerServer | undefined;
  let uplink = "";

  before(() => {
    lab = new Lab();
    client = createTestNetns("qdpx");
    uplink = linkClient(lab.host, client, HOST_IP, CLIENT_IP);
    // IPv6 on the same link (nodad: usable at once).
    ipIn(lab.host.name, ["-6", "addr", "add", `${HOST_IP6}/64`, "dev", uplink, "nodad"]);
    ipIn(client.name, ["-6", "addr", "add", `${CLIENT_IP6}/64`, "dev", "eth0", "nodad"]);
    ipIn(client.name, ["-6", "route", "add", "default", "via", HOST_IP6]);
  });
  after(async () => {
    await server?.stop();
    deleteTestNetns(client);
    lab.cleanup();
  });

  const conf = (portMappings: unknown[]) => ({
    ...lab.config({ capabilities: { portMappings: true } }),
    runtimeConfig: { portMappings },
  });
  const elements = (): { key: string; value: string; comment?: string }[] => {
    const out: { key: string; value: string; comment?: string }[] = [];
    for (const map of ["hp4", "hp4ip", "hp6", "hp6ip"]) {
      const json = JSON.parse(nsExec(lab.host.name, "nft", ["-j", "list", "map", "inet", "quantum", map])) as {
        nftables: {
          map?: { elem?: [{ elem?: { val: { concat: unknown[] }; comment?: string } }, { concat: unknown[] }][] };
        }[];
      };
      for (const o of json.nftables) {
        for (const [k, v] of o.map?.elem ?? []) {
          out.push({
            key: `${map} ${k.elem?.val.concat.join(" . ")}`,
            value: v.concat.join(" . "),
            ...(k.elem?.comment ? { comment: k.elem.comment } : {}),
          });
        }
      }
    }
    return out;
  };

  it("DNATs to the container from outside, localhost and a neighbour; DEL removes the mapping", async () => {
    const [c1, c2] = [lab.container(), lab.container()];
    const mappings = [
      { HostPort: 30080, ContainerPort: 8080, Protocol: "tcp", HostIP: "" },
      { HostPort: 30081, ContainerPort: 8080, Protocol: "TCP", HostIP: HOST_IP },
    ];
    const added = await lab.add("hp-1", c1, conf(mappings));
    await lab.add("hp-2", c2, lab.config());
    server = await PeerServer.start(c1.path, 8080);

    assert.deepEqual(
      elements().sort((a, b) => a.key.localeCompare(b.key)),
      [
        { key: "hp4 tcp . 30080", value: "10.77.0.2 . 8080", comment: "hp-1/eth0" },
        { key: `hp4ip ${HOST_IP} . tcp . 30081`, value: "10.77.0.2 . 8080", comment: "hp-1/eth0" },
      ],
    );
    assert.equal(await tcpProbe(client.name, HOST_IP, 30080), `from ${CLIENT_IP}`, "external client, source kept");
    assert.equal(await tcpProbe(client.name, HOST_IP, 30081), `from ${CLIENT_IP}`, "host-IP-bound mapping");
    assert.equal(await tcpProbe(lab.host.name, "127.0.0.1", 30080), "from 10.77.0.1", "localhost, masqueraded");
    assert.equal(await tcpProbe(lab.host.name, "127.0.0.1", 30081, 1), "", "30081 is bound to one host IP only");
    assert.equal(await tcpProbe(c2.name, HOST_IP, 30080), "from 10.77.0.1", "a neighbour pod (hairpin), masqueraded");
    assert.equal(
      nsExec(lab.host.name, "sysctl", ["-n", `net.ipv4.conf.${lab.config()["bridge"]}.route_localnet`]).trim(),
      "1",
    );

    // CHECK sees the mappings; with one removed behind our back it names the problem.
    const check = (containerId: string, ns: TestNetns, prev: Record<string, unknown>) =>
      lab.run({ command: "CHECK", containerId, netns: ns.path, config: { ...conf(mappings), prevResult: prev } });
    assert.equal((await check("hp-1", c1, added)).code, 0, "CHECK with host ports in place");
    nsExec(lab.host.name, "nft", ["delete", "element", "inet", "quantum", "hp4ip", `{ ${HOST_IP} . tcp . 30081 }`]);
    const broken = await check("hp-1", c1, added);
    assert.notEqual(broken.code, 0);
    assert.match(broken.stdout, /host ports: 1 of 2 mappings are in the firewall/);

    const del = await lab.del("hp-1", c1.path, conf(mappings));
    assert.equal(del.code, 0, del.stdout);
    assert.deepEqual(elements(), [], "DEL removed the mappings");
    assert.equal(await tcpProbe(client.name, HOST_IP, 30080, 1), "", "nothing answers after DEL");
    // containerd's next DELs: empty CNI_NETNS, no prevResult, the same runtimeConfig.
    assert.equal((await lab.del("hp-1", "", conf(mappings))).code, 0);
    assert.equal((await lab.del("hp-2", c2.path, lab.config())).code, 0);
    lab.assertNothingLeft("10.77.0.", "after DEL");
  });

  it("a host port already mapped fails the second ADD, naming the owner, and leaves nothing of it", async () => {
    const [c1, c2] = [lab.container(), lab.container()];
    await lab.add("own-1", c1, conf([{ hostPort: 30090, containerPort: 80 }]));
    const run = await lab.run({
      command: "ADD",
      containerId: "own-2",
      netns: c2.path,
      config: conf([
        { hostPort: 30091, containerPort: 80 },
        { hostPort: 30090, containerPort: 80, protocol: "tcp" },
      ]),
    });
    assert.notEqual(run.code, 0);
    assert.match(run.stdout, /host port 30090\/tcp is already mapped to 10\.77\.0\.\d+ \. 80 \(own-1\/eth0\)/);
    assert.deepEqual(
      elements().map((e) => `${e.key} ${e.comment}`),
      ["hp4 tcp . 30090 own-1/eth0"],
      "all or nothing: 30091 was not added either",
    );
    assert.deepEqual(lab.storeState().attachments, ["own-1/eth0"]);
    assert.equal((await lab.del("own-2", c2.path, conf([]))).code, 0);
    assert.equal((await lab.del("own-1", c1.path, conf([]))).code, 0);
    assert.deepEqual(elements(), []);
    lab.assertNothingLeft("10.77.0.", "after DEL");
  });
  it("quantumctl gc: a pod whose netns died loses its host ports with its attachment", async () => {
    const c = lab.container();
    await lab.add("gone-1", c, conf([{ HostPort: 30095, ContainerPort: 80 }]));
    assert.equal(elements().length, 1);
    lab.removeContainerNetns(c);
    const gc = await runProcess(
      "nsenter",
      [
        `--net=${lab.host.path}`,
        quantumctlBin,
        "--data-dir",
        lab.dataDir,
        "--socket",
        `${lab.dataDir}/nobody.sock`,
        "gc",
        "--local",
        "--grace-ms",
        "0",
        "--json",
      ],
      { env: { PATH: process.env.PATH, QUANTUM_REGISTRY_DIR: testRegistryDir() } },
    );
    assert.equal(gc.code, 0, `${gc.stdout} ${gc.stderr}`);
    assert.deepEqual(elements(), [], "the dead pod's host port is gone");
    lab.assertNothingLeft("10.77.0.", "after gc");
  });
  it("dual-stack: one request maps both families; IPv6 clients and IPv6 hairpin reach the container", async () => {
    const dual = {
      ...lab.config({
        name: "dp-hp6",
        bridge: `q6${lab.host.name.slice(-8)}`,
        subnet: undefined,
        gateway: undefined,
        subnets: ["10.76.0.0/24", "fd00:76::/64"],
        capabilities: { portMappings: true },
      }),
      runtimeConfig: { portMappings: [{ HostPort: 30100, ContainerPort: 8080, Protocol: "tcp", HostIP: "" }] },
    };
    const [c1, c2] = [lab.container(), lab.container()];
    await lab.add("v6-1", c1, dual);
    const plain = { ...dual, runtimeConfig: {} };
    await lab.add("v6-2", c2, plain);
    const v6 = await PeerServer.start(c1.path, 8080, "::");
    try {
      assert.deepEqual(
        elements().map((e) => `${e.key} → ${e.value}`),
        ["hp4 tcp . 30100 → 10.76.0.2 . 8080", "hp6 tcp . 30100 → fd00:76::2 . 8080"],
      );
      assert.equal(await tcpProbe(client.name, HOST_IP6, 30100), `from ${CLIENT_IP6}`, "IPv6 client, source kept");
      assert.equal(await tcpProbe(client.name, HOST_IP, 30100), `from ::ffff:${CLIENT_IP}`, "IPv4 client");
      assert.equal(await tcpProbe(c2.name, HOST_IP6, 30100), "from fd00:76::1", "IPv6 hairpin, masqueraded");
    } finally {
      await v6.stop();
    }
    assert.equal((await lab.del("v6-1", c1.path, dual)).code, 0);
    assert.equal((await lab.del("v6-2", c2.path, plain)).code, 0);
    assert.deepEqual(elements(), []);
    assert.deepEqual(lab.storeState("dp-hp6"), { reservations: [], attachments: [] });
  });
});
