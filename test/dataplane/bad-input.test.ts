/**
 * Bad input to bin/quantum, driven exactly as a runtime does (runPlugin, inside a private "host"
 * netns): each case must answer with the right CNI error code on stdout (and a message naming the
 * problem), exit non-zero, and leave nothing behind: no new links in the host or container netns,
 * no reservation or attachment in the store, no container elements in the nftables table. A later
 * good ADD on the same data dir must still get the first address (.2).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SqliteStore } from "../../src/store/index.js";
import { expectOk, type PluginCall, type PluginRun, runPlugin } from "../helpers/cni-runner.js";
import { ipIn, ipJson, nsExec, TestNamespaces, type TestNetns, uniqueName } from "../helpers/netns.js";

const isRoot = process.getuid?.() === 0;
const skip = isRoot ? false : "needs root (network namespaces)";

interface Lab {
  host: TestNetns;
  /** ctr[0] receives the bad call, ctr[1] the follow-up good ADD. */
  ctr: TestNetns[];
  dir: string;
  net: string;
  bridge: string;
  /** Second octet of this lab's 10.N.0.0/24 subnet. */
  octet: number;
}

async function withLab(fn: (lab: Lab) => Promise<void>): Promise<void> {
  const ns = TestNamespaces.create(3, "qbad");
  let dir: string | undefined;
  try {
    dir = mkdtempSync(join(tmpdir(), "qbad-"));
    const [host, c0, c1] = ns.list as [TestNetns, TestNetns, TestNetns];
    await fn({
      host,
      ctr: [c0, c1],
      dir,
      net: uniqueName("qbadnet"),
      bridge: uniqueName("qb"),
      octet: 100 + ((randomBytes(1)[0] ?? 0) % 100),
    });
  } finally {
    try {
      ns.cleanup();
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** A good native config for the lab's network. */
function baseConfig(lab: Lab): Record<string, unknown> {
  return {
    cniVersion: "1.0.0",
    name: lab.net,
    type: "quantum",
    driver: "bridge",
    bridge: lab.bridge,
    subnet: `10.${lab.octet}.0.0/24`,
    gateway: `10.${lab.octet}.0.1`,
    dataDir: lab.dir,
  };
}

function call(lab: Lab, c: Partial<PluginCall> & { config: unknown }): Promise<PluginRun> {
  return runPlugin({
    command: "ADD",
    hostNetns: lab.host.name,
    containerId: "ctr-bad",
    netns: lab.ctr[0]!.path,
    ifname: "eth0",
    ...c,
  });
}

function links(ns: TestNetns): string[] {
  return ipJson<{ ifname: string }[]>(ns.name, ["link", "show"])
    .map((l) => l.ifname)
    .sort();
}

interface StoreState {
  reservations: string[];
  attachments: string[];
}

/** What the store holds for the lab's network, read with the product's own store. */
function storeState(lab: Lab): StoreState {
  const store = SqliteStore.open(lab.dir);
  try {
    return {
      reservations: store.listReservations(lab.net).map((r) => `${r.containerId}/${r.ifname}=${r.ip}`),
      attachments: store.listAttachments(lab.net).map((a) => `${a.containerId}/${a.ifname}`),
    };
  } finally {
    store.close();
  }
}

/** The per-container elements (addresses) of our table in the host netns; none when no table exists. */
function nftContainerElements(lab: Lab): string[] {
  let out: string;
  try {
    out = nsExec(lab.host.name, "nft", ["-j", "list", "table", "inet", "quantum"]);
  } catch {
    return [];
  }
  const objects = (JSON.parse(out) as { nftables: Record<string, Record<string, unknown>>[] }).nftables;
  const elems: string[] = [];
  for (const o of objects) {
    const set = o["set"];
    if (!set || !/_a[46]$/.test(String(set["name"]))) continue;
    for (const e of (set["elem"] as unknown[] | undefined) ?? [])
      elems.push(`${String(set["name"])}:${JSON.stringify(e)}`);
  }
  return elems.sort();
}

interface Snapshot {
  host: string[];
  ctr: string[];
  store: StoreState;
  nft: string[];
}

function snapshot(lab: Lab): Snapshot {
  return { host: links(lab.host), ctr: links(lab.ctr[0]!), store: storeState(lab), nft: nftContainerElements(lab) };
}

/** The error JSON on stdout, checked for shape, code and a message naming the problem. */
function expectCniError(run: PluginRun, code: number, msg: RegExp, what: string): void {
  assert.notEqual(run.code, 0, `${what}: exit status must be non-zero (stdout ${run.stdout})`);
  assert.ok(
    run.json,
    `${what}: stdout must be CNI error JSON, got ${JSON.stringify(run.stdout)} (stderr ${run.stderr})`,
  );
  assert.equal(run.json["code"], code, `${what}: code (error ${run.stdout})`);
  assert.equal(typeof run.json["msg"], "string", `${what}: msg`);
  const text = `${String(run.json["msg"])} ${String(run.json["details"] ?? "")}`;
  assert.match(text, msg, `${what}: message must name the problem`);
}

/** ips[0].address of an ADD result. */
function firstAddress(run: PluginRun): string | undefined {
  const ips = run.json?.["ips"] as { address: string }[] | undefined;
  return ips?.[0]?.address;
}

/** Nothing was left by the failed call, and the next good ADD gets the first address. */
async function expectNothingLeft(lab: Lab, before: Snapshot, what: string): Promise<void> {
  const after = snapshot(lab);
  assert.deepEqual(after.host, before.host, `${what}: links in the host netns`);
  assert.deepEqual(after.ctr, before.ctr, `${what}: links in the container netns`);
  assert.deepEqual(after.store, before.store, `${what}: reservations/attachments in the store`);
  assert.deepEqual(after.nft, before.nft, `${what}: container elements in the nft table`);
  const good = expectOk(
    await call(lab, { containerId: "ctr-good", netns: lab.ctr[1]!.path, config: baseConfig(lab) }),
    `${what}: follow-up ADD`,
  );
  assert.equal(firstAddress(good), `10.${lab.octet}.0.2/24`, `${what}: the follow-up ADD gets the first address`);
}

interface BadCase {
  name: string;
  code: number;
  msg: RegExp;
  /** The bad call (default: a good ADD). */
  call: (lab: Lab) => Partial<PluginCall> & { config: unknown };
  /** Prepares the container netns before the snapshot. */
  setup?: (lab: Lab) => void;
}

const withConfig =
  (change: (c: Record<string, unknown>, lab: Lab) => void) =>
  (lab: Lab): { config: unknown } => {
    const c = baseConfig(lab);
    change(c, lab);
    return { config: c };
  };

const cases: BadCase[] = [
  {
    name: "subnet too small (/31)",
    code: 7,
    msg: /\/31|too small/,
    call: withConfig((c, lab) => {
      c["subnet"] = `10.${lab.octet}.0.0/31`;
      delete c["gateway"];
    }),
  },
  {
    name: "gateway outside the subnet",
    code: 7,
    msg: /gateway/,
    call: withConfig((c) => {
      c["gateway"] = "192.0.2.1";
    }),
  },
  {
    name: "two IPv4 subnets in `subnets`",
    code: 7,
    msg: /subnets/,
    call: withConfig((c, lab) => {
      delete c["subnet"];
      c["subnets"] = [`10.${lab.octet}.0.0/24`, `10.${lab.octet}.1.0/24`];
    }),
  },
  {
    name: "`subnet` and `subnets` together",
    code: 7,
    msg: /subnets?/,
    call: withConfig((c, lab) => {
      c["subnets"] = [`10.${lab.octet}.0.0/24`];
    }),
  },
  {
    name: "ifname already present in the container netns",
    code: 4,
    msg: /eth0/,
    setup: (lab) => ipIn(lab.ctr[0]!.name, ["link", "add", "eth0", "type", "veth", "peer", "name", "qbad-peer"]),
    call: withConfig(() => {}),
  },
  {
    name: "CNI_NETNS path missing",
    code: 4,
    msg: /CNI_NETNS/,
    call: (lab) => ({ netns: join(lab.dir, "no-such-netns"), config: baseConfig(lab) }),
  },
  {
    name: "CNI_NETNS is a regular file, not a netns",
    code: 4,
    msg: /CNI_NETNS/,
    setup: (lab) => writeFileSync(join(lab.dir, "not-a-netns"), "plain file\n"),
    call: (lab) => ({ netns: join(lab.dir, "not-a-netns"), config: baseConfig(lab) }),
  },
  {
    name: "unknown driver",
    code: 7,
    msg: /driver/,
    call: withConfig((c) => {
      c["driver"] = "vxlan-nope";
    }),
  },
  {
    name: 'driver "overlay" with a subnet (the fabric gives it)',
    code: 7,
    msg: /must not be set with driver "overlay"/,
    call: withConfig((c) => {
      c["driver"] = "overlay";
    }),
  },
  {
    name: "bad isolation value",
    code: 7,
    msg: /isolation/,
    call: withConfig((c) => {
      c["isolation"] = "paranoid";
    }),
  },
  {
    name: "missing CNI_CONTAINERID",
    code: 4,
    msg: /CNI_CONTAINERID/,
    call: (lab) => ({ containerId: "", config: baseConfig(lab) }),
  },
  {
    name: 'CNI_IFNAME "eth0:1"',
    code: 4,
    msg: /CNI_IFNAME/,
    call: (lab) => ({ ifname: "eth0:1", config: baseConfig(lab) }),
  },
  {
    name: "broken JSON",
    code: 6,
    msg: /JSON|unmarshal/i,
    call: (lab) => ({ config: JSON.stringify(baseConfig(lab)).slice(0, -7) }),
  },
  {
    name: 'cniVersion "9.9.9"',
    code: 1,
    msg: /9\.9\.9/,
    call: withConfig((c) => {
      c["cniVersion"] = "9.9.9";
    }),
  },
  {
    name: "no `name`",
    code: 7,
    msg: /name/,
    call: withConfig((c) => {
      delete c["name"];
    }),
  },
];

describe("bad input: CNI error code, non-zero exit, nothing left behind", { skip }, () => {
  for (const bad of cases) {
    it(bad.name, async () => {
      await withLab(async (lab) => {
        bad.setup?.(lab);
        const before = snapshot(lab);
        const run = await call(lab, bad.call(lab));
        expectCniError(run, bad.code, bad.msg, bad.name);
        await expectNothingLeft(lab, before, bad.name);
      });
    });
  }

  it("a second ADD for the same container+ifname without DEL fails (102); the first stays intact", async () => {
    await withLab(async (lab) => {
      const first = expectOk(await call(lab, { config: baseConfig(lab) }), "first ADD");
      const address = firstAddress(first);
      assert.equal(address, `10.${lab.octet}.0.2/24`);
      const before = snapshot(lab);
      assert.deepEqual(before.store.attachments, ["ctr-bad/eth0"]);

      const second = await call(lab, { config: baseConfig(lab) });
      expectCniError(second, 102, /ctr-bad|eth0|already/, "second ADD");

      const after = snapshot(lab);
      assert.deepEqual(after, before, "the failed second ADD changed nothing");
      const addrs = ipJson<{ addr_info: { local: string; prefixlen: number }[] }[]>(lab.ctr[0]!.name, [
        "addr",
        "show",
        "dev",
        "eth0",
      ]);
      assert.ok(
        addrs[0]?.addr_info.some((a) => `${a.local}/${a.prefixlen}` === address),
        "the first attachment keeps its address",
      );
      nsExec(lab.ctr[0]!.name, "ping", ["-c", "1", "-W", "2", `10.${lab.octet}.0.1`]);
      // The first attachment is still the one CHECK knows about.
      const check = await call(lab, { command: "CHECK", config: { ...baseConfig(lab), prevResult: first.json } });
      assert.equal(check.code, 0, `CHECK of the first attachment: ${check.stdout}`);
    });
  });

  it("pool exhausted: a /30 has one address besides the gateway; the second ADD fails with 100", async () => {
    await withLab(async (lab) => {
      const config = { ...baseConfig(lab), subnet: `10.${lab.octet}.0.0/30` };
      const first = expectOk(await call(lab, { containerId: "ctr-first", netns: lab.ctr[1]!.path, config }), "ADD 1");
      assert.equal(firstAddress(first), `10.${lab.octet}.0.2/30`);
      const before = snapshot(lab);

      const second = await call(lab, { containerId: "ctr-second", config });
      expectCniError(second, 100, /exhausted|no IP addresses available/i, "ADD 2");

      const after = snapshot(lab);
      assert.deepEqual(after.host, before.host, "host links");
      assert.deepEqual(after.ctr, before.ctr, "links of the second container");
      assert.deepEqual(after.ctr, ["lo"]);
      assert.deepEqual(after.store, before.store, "store");
      assert.ok(!after.store.reservations.some((r) => r.startsWith("ctr-second/")));
      assert.ok(!after.store.attachments.some((a) => a.startsWith("ctr-second/")));
      assert.deepEqual(after.nft, before.nft, "nft elements");
    });
  });
});
