import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { NftError, nftApply, nftAvailable, nftListJson } from "./nftables.js";

const isRoot = process.getuid?.() === 0;
const skip = !isRoot || !nftAvailable() ? "needs root and nft (apt-get install -y nftables)" : false;

describe("kernel/nftables", { skip }, () => {
  // Netfilter state is per netns: everything here happens in a private one, never the machine's.
  const ns = `qfw-k${randomBytes(4).toString("hex")}`;
  const netnsPath = `/var/run/netns/${ns}`;
  before(() => execFileSync("ip", ["netns", "add", ns]));
  after(() => execFileSync("ip", ["netns", "del", ns]));

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
  });

  it("a failing script gives NftError with nft's stderr, the netns and the script's first lines", () => {
    const script = "add table inet qk\nadd rule inet qk nochain drop\n";
    assert.throws(
      () => nftApply(script, { netnsPath }),
      (e: unknown) => {
        assert.ok(e instanceof NftError);
        assert.match(e.stderr, /No such file or directory/);
        assert.equal(e.isNotFound, true);
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

  it("a netns path that does not exist fails with NftError naming it", () => {
    const missing = `/var/run/netns/${ns}-missing`;
    assert.throws(
      () => nftListJson(["ruleset"], { netnsPath: missing }),
      (e: unknown) => e instanceof NftError && e.message.includes(missing),
    );
  });
});
