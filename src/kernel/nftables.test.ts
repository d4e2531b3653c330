import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Worker } from "node:worker_threads";
import {
  NftError,
  nftApply,
  nftAvailable,
  nftBackend,
  nftListJson,
  nftReleaseContexts,
  setNftBackend,
} from "./nftables.js";
import { nftablesAddon, nftablesAddonError } from "./nftables-addon.js";

const isRoot = process.getuid?.() === 0;
const skip = !isRoot || !nftAvailable() ? "needs root and nft (apt-get install -y nftables)" : false;
const addon = nftablesAddon();
const skipAddon =
  skip ||
  (addon === null
    ? `libnftables addon not loaded (${String(nftablesAddonError())}): npm run build:native with libnftables-dev`
    : false);
const cliAvailable = (() => {
  setNftBackend("cli");
  try {
    return nftAvailable();
  } finally {
    setNftBackend("auto");
  }
})();
const skipCli = skip || (!cliAvailable ? "needs the nft binary (apt-get install -y nftables)" : false);

// Netfilter state is per netns: everything here happens in private ones, never the machine's.
function privateNetns(tag: string): { name: string; path: string } {
  const name = `qnft-${tag}${randomBytes(4).toString("hex")}`;
  return { name, path: `/var/run/netns/${name}` };
}

function caught(f: () => void): NftError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof NftError, `expected NftError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected an NftError");
}

/** The behaviour both backends must share; run once per backend. */
function sharedSuite(backend: "auto" | "cli", skipReason: string | false): void {
  describe(`kernel/nftables (${backend === "cli" ? "nft binary" : "libnftables"})`, { skip: skipReason }, () => {
    const { name: ns, path: netnsPath } = privateNetns("k");
    before(() => {
      setNftBackend(backend);
      execFileSync("ip", ["netns", "add", ns]);
    });
    after(() => {
      setNftBackend("auto");
      nftReleaseContexts(netnsPath);
      execFileSync("ip", ["netns", "del", ns]);
    });

    it("uses the backend asked for", () => {
      assert.equal(nftBackend(), backend === "cli" ? "cli" : "libnftables");
    });

    it("nftAvailable() finds nft", () => {
      assert.equal(nftAvailable(), true);
    });

    it("nftApply() applies a script inside the netns and nftListJson() reads it back", () => {
      nftApply("add table inet qk\nadd set inet qk s { type ipv4_addr; }\nadd element inet qk s { 10.1.2.3 }\n", {
        netnsPath,
      });
      const json = nftListJson(["set", "inet", "qk", "s"], { netnsPath }) as { nftables: unknown[] };
      assert.ok(Array.isArray(json.nftables));
      assert.match(JSON.stringify(json), /"elem":\["10\.1\.2\.3"\]/);
    });

    it("nftApply({check: true}) validates without committing", () => {
      nftApply("add table inet qcheck\n", { netnsPath, check: true });
      assert.throws(
        () => nftListJson(["table", "inet", "qcheck"], { netnsPath }),
        (e: unknown) => {
          return e instanceof NftError && e.isNotFound;
        },
      );
      // Nothing of the dry run lingers in a cached context either.
      const e = caught(() => nftApply("add set inet qcheck s { type ipv4_addr; }\n", { netnsPath }));
      assert.equal(e.isNotFound, true);
    });

    it("a failing script gives NftError with nft's stderr, the netns and the script's first lines", () => {
      const script = "add table inet qk\nadd rule inet qk nochain drop\n";
      assert.throws(
        () => nftApply(script, { netnsPath }),
        (e: unknown) => {
          assert.ok(e instanceof NftError);
          assert.match(e.stderr, /No such file or directory/);
          // The pointer names the right line, and the quoted line is that line.
          assert.match(e.stderr, /^\/dev\/stdin:2:18-24: Error: Could not process rule: No such file or directory\n/);
          assert.match(e.stderr, /\nadd rule inet qk nochain drop\n/);
          assert.equal(e.isNotFound, true);
          assert.equal(e.exitCode, 1);
          assert.match(e.message, new RegExp(`nft -f in netns ${netnsPath} failed`));
          assert.match(e.message, /2: add rule inet qk nochain drop/);
          assert.equal(e.netnsPath, netnsPath);
          return true;
        },
      );
    });

    it("a failed transaction commits nothing", () => {
      assert.throws(() => nftApply("add table inet qatomic\nadd rule inet qatomic nochain drop\n", { netnsPath }));
      assert.throws(() => nftListJson(["table", "inet", "qatomic"], { netnsPath }), NftError);
    });

    it("a syntax error is reported with nft's pointer", () => {
      assert.throws(
        () => nftApply("add tabel inet qk\n", { netnsPath, check: true }),
        (e: unknown) => e instanceof NftError && /syntax error/.test(e.stderr) && !e.isNotFound,
      );
    });

    it('creating what exists fails with "File exists"', () => {
      const e = caught(() => nftApply("create table inet qk\n", { netnsPath }));
      assert.match(e.stderr, /File exists/);
      assert.equal(e.isNotFound, false);
    });

    it("a script with define runs again and again", () => {
      for (let i = 0; i < 2; i++) {
        nftApply("define ADDR = 10.9.9.9\nadd element inet qk s { $ADDR }\n", { netnsPath });
      }
      assert.match(JSON.stringify(nftListJson(["set", "inet", "qk", "s"], { netnsPath })), /10\.9\.9\.9/);
    });

    it("a netns path that does not exist fails with NftError naming it", () => {
      const missing = `/var/run/netns/${ns}-missing`;
      assert.throws(
        () => nftListJson(["ruleset"], { netnsPath: missing }),
        (e: unknown) => e instanceof NftError && e.message.includes(missing) && e.isNotFound,
      );
    });

    it("a path that is not a netns fails with NftError naming it", () => {
      const e = caught(() => nftListJson(["ruleset"], { netnsPath: "/etc/hostname" }));
      assert.ok(e.message.includes("/etc/hostname"));
      assert.equal(e.isNotFound, false);
    });
  });
}

sharedSuite("auto", skipAddon);
sharedSuite("cli", skipCli);

describe("kernel/nftables: libnftables and the nft binary agree", { skip: skipAddon || skipCli }, () => {
  const { name: ns, path: netnsPath } = privateNetns("same");
  before(() => {
    execFileSync("ip", ["netns", "add", ns]);
    nftApply("add table inet qs\nadd set inet qs s { type ipv4_addr; }\n", { netnsPath });
  });
  after(() => {
    setNftBackend("auto");
    nftReleaseContexts(netnsPath);
    execFileSync("ip", ["netns", "del", ns]);
  });

  function both(f: () => void): [NftError, NftError] {
    setNftBackend("auto");
    const lib = caught(f);
    setNftBackend("cli");
    try {
      return [lib, caught(f)];
    } finally {
      setNftBackend("auto");
    }
  }

  const cases: [string, () => void, (e: NftError) => boolean][] = [
    ["a syntax error", () => nftApply("add table inet qs\nadd tabel inet qk\n", { netnsPath }), (e) => !e.isNotFound],
    [
      "a missing chain in a script (isNotFound)",
      () => nftApply("add table inet qs\nadd rule inet qs nochain drop\n", { netnsPath }),
      (e) => e.isNotFound,
    ],
    [
      "a missing table in a listing (isNotFound)",
      () => nftListJson(["table", "inet", "nope"], { netnsPath }),
      (e) => e.isNotFound,
    ],
    [
      'an element that exists ("File exists")',
      () => {
        nftApply("add element inet qs s { 10.7.0.1 }\n", { netnsPath });
        nftApply("create element inet qs s { 10.7.0.1 }\n", { netnsPath });
      },
      (e) => /File exists/.test(e.stderr) && !e.isNotFound,
    ],
    [
      "a dry run of a bad script",
      () => nftApply("add rule inet qs nochain drop\n", { netnsPath, check: true }),
      (e) => e.isNotFound,
    ],
  ];
  for (const [what, f, ok] of cases) {
    it(`${what}: same stderr, message, exit code and args`, () => {
      const [lib, cli] = both(f);
      assert.equal(lib.stderr, cli.stderr);
      assert.equal(lib.message, cli.message);
      assert.equal(lib.exitCode, cli.exitCode);
      assert.deepEqual(lib.args, cli.args);
      assert.ok(ok(lib), lib.stderr);
    });
  }

  it("listings are the same JSON", () => {
    const lib = nftListJson(["table", "inet", "qs"], { netnsPath });
    setNftBackend("cli");
    try {
      assert.deepEqual(lib, nftListJson(["table", "inet", "qs"], { netnsPath }));
    } finally {
      setNftBackend("auto");
    }
  });
});

describe("kernel/nftables: libnftables contexts", { skip: skipAddon }, () => {
  const created: string[] = [];
  const add = (tag: string): string => {
    const n = privateNetns(tag);
    execFileSync("ip", ["netns", "add", n.name]);
    created.push(n.name);
    return n.path;
  };
  const del = (path: string): void => {
    const name = path.slice("/var/run/netns/".length);
    execFileSync("ip", ["netns", "del", name]);
    created.splice(created.indexOf(name), 1);
  };
  before(() => setNftBackend("auto"));
  after(() => {
    nftReleaseContexts();
    for (const name of created) spawnSync("ip", ["netns", "del", name]);
  });

  it("caches one context per netns path and drops it when the path is gone", () => {
    const a = add("ca");
    nftApply("add table inet qc\n", { netnsPath: a });
    nftApply("add table inet qc2\n", { netnsPath: a });
    assert.equal(addon?.cached().filter((p) => p === a).length, 1);
    del(a);
    const b = add("cb");
    nftListJson(["ruleset"], { netnsPath: b });
    assert.equal(addon?.cached().includes(a), false, "a deleted netns is released on the next call");
    assert.equal(nftReleaseContexts(b), 1);
    assert.equal(addon?.cached().includes(b), false);
  });

  it("a netns deleted and made again under the same path gets a new context", () => {
    const p = add("re");
    nftApply("add table inet qold\n", { netnsPath: p });
    del(p);
    const name = p.slice("/var/run/netns/".length);
    execFileSync("ip", ["netns", "add", name]);
    created.push(name);
    const json = JSON.stringify(nftListJson(["ruleset"], { netnsPath: p }));
    assert.doesNotMatch(json, /qold/);
    nftApply("add table inet qnew\n", { netnsPath: p });
    assert.match(execFileSync("ip", ["netns", "exec", name, "nft", "list", "tables"], { encoding: "utf8" }), /qnew/);
  });

  it("the libnftables socket is not inherited by child processes", () => {
    const p = add("fd");
    nftListJson(["ruleset"], { netnsPath: p });
    // find's own descriptors above stdio: any socket there was inherited from us.
    const out = execFileSync("find", ["/proc/self/fd", "-mindepth", "1", "-lname", "socket:*", "-printf", "%f\n"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    const inherited = out.split("\n").filter((fd) => fd !== "" && Number(fd) > 2);
    assert.deepEqual(inherited, []);
  });

  it("never leaves the JS thread in another netns", () => {
    const own = execFileSync("readlink", [`/proc/${process.pid}/task/${process.pid}/ns/net`], { encoding: "utf8" });
    const p = add("stay");
    nftApply("add table inet qstay\n", { netnsPath: p });
    assert.throws(() => nftApply("add rule inet qstay nochain drop\n", { netnsPath: p }), NftError);
    assert.throws(() => nftApply("add table inet q\n", { netnsPath: "/etc/hostname" }), NftError);
    const now = execFileSync("readlink", [`/proc/${process.pid}/task/${process.pid}/ns/net`], { encoding: "utf8" });
    assert.equal(now, own);
  });

  it("worker threads each load the addon and work concurrently", async () => {
    const p = add("wk");
    nftApply("add table inet qw\nadd set inet qw s { type ipv4_addr; }\n", { netnsPath: p });
    const mod = new URL("./nftables.js", import.meta.url).href;
    const code = `
      const { parentPort, workerData } = require("node:worker_threads");
      import(workerData.mod).then((m) => {
        for (let i = 0; i < 50; i++) {
          m.nftApply("add element inet qw s { 10.50." + workerData.n + "." + i + " }\\n", { netnsPath: workerData.p });
        }
        parentPort.postMessage({ backend: m.nftBackend(), json: JSON.stringify(m.nftListJson(["set", "inet", "qw", "s"], { netnsPath: workerData.p })) });
      });`;
    const run = (n: number) =>
      new Promise<{ backend: string; json: string }>((resolve, reject) => {
        const w = new Worker(code, { eval: true, workerData: { mod, p, n } });
        w.once("message", (m: { backend: string; json: string }) => {
          void w.terminate().then(() => resolve(m));
        });
        w.once("error", reject);
      });
    const results = await Promise.all([run(1), run(2), run(3)]);
    for (const r of results) assert.equal(r.backend, "libnftables");
    const json = JSON.stringify(nftListJson(["set", "inet", "qw", "s"], { netnsPath: p }));
    for (const n of [1, 2, 3]) {
      for (let i = 0; i < 50; i++) assert.ok(json.includes(`"10.50.${n}.${i}"`), `10.50.${n}.${i}`);
    }
    // The main thread still works after the workers (and their contexts) are gone.
    nftApply("add element inet qw s { 10.50.9.9 }\n", { netnsPath: p });
  });

  it("measures one `add element` transaction: libnftables vs the nft binary (reported, not asserted)", (t) => {
    if (skipCli) return t.skip(String(skipCli));
    const p = add("bench");
    nftApply("add table inet qb\nadd set inet qb s { type ipv4_addr; }\n", { netnsPath: p });
    const n = 200;
    const time = (backend: "auto" | "cli", third: number): number => {
      setNftBackend(backend);
      try {
        nftApply(`add element inet qb s { 10.${third}.255.255 }\n`, { netnsPath: p }); // warm-up
        const start = process.hrtime.bigint();
        for (let i = 0; i < n; i++) {
          nftApply(`add element inet qb s { 10.${third}.${i >> 8}.${i & 255} }\n`, { netnsPath: p });
        }
        return Number(process.hrtime.bigint() - start) / 1e6 / n;
      } finally {
        setNftBackend("auto");
      }
    };
    const lib = time("auto", 1);
    const cli = time("cli", 2);
    t.diagnostic(
      `add element into another netns (netnsPath), ${n} transactions: libnftables ${lib.toFixed(3)} ms each, ` +
        `nsenter + nft ${cli.toFixed(3)} ms each (${(cli / lib).toFixed(1)}x)`,
    );

    // As the daemon runs in production: in its own netns, no netnsPath (the CLI execs nft directly).
    // A process started inside the private netns plays the host.
    const mod = new URL("./nftables.js", import.meta.url).href;
    const code = `
      const m = await import(${JSON.stringify(mod)});
      const time = (backend, third) => {
        m.setNftBackend(backend);
        m.nftApply("add element inet qb s { 10." + third + ".255.255 }\\n");
        const start = process.hrtime.bigint();
        for (let i = 0; i < ${n}; i++) m.nftApply("add element inet qb s { 10." + third + "." + (i >> 8) + "." + (i & 255) + " }\\n");
        return Number(process.hrtime.bigint() - start) / 1e6 / ${n};
      };
      console.log(JSON.stringify({ lib: time("auto", 3), cli: time("cli", 4) }));`;
    const name = p.slice("/var/run/netns/".length);
    const out = execFileSync("ip", ["netns", "exec", name, process.execPath, "--input-type=module", "-e", code], {
      encoding: "utf8",
    });
    const own = JSON.parse(out) as { lib: number; cli: number };
    t.diagnostic(
      `add element in the caller's own netns, ${n} transactions: libnftables ${own.lib.toFixed(3)} ms each, ` +
        `nft ${own.cli.toFixed(3)} ms each (${(own.cli / own.lib).toFixed(1)}x)`,
    );
  });
});
