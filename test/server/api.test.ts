// The daemon's API edges: peers that are not root, malformed HTTP, oversized bodies, wrong schema
// versions, unknown routes, SIGTERM. Each gets a clean answer and the daemon stays up.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync } from "node:fs";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { quantumBin } from "../helpers/cni-runner.js";
import { createTestNetns, deleteTestNetns, type TestNetns } from "../helpers/netns.js";
import { testRegistryDir } from "../helpers/registry.js";
import { TestDaemon } from "./daemon.js";

/** Writes raw bytes on the socket and returns everything the daemon sends back before closing. */
function raw(socket: string, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(socket);
    let out = "";
    s.on("data", (b) => {
      out += b.toString();
    });
    s.on("error", (e: NodeJS.ErrnoException) =>
      e.code === "EPIPE" || e.code === "ECONNRESET" ? resolve(out) : reject(e),
    );
    s.on("close", () => resolve(out));
    s.write(bytes);
    s.setTimeout(10_000, () => s.destroy());
  });
}

function shim(host: TestNetns, env: Record<string, string>, stdin: string, wrap: string[] = []) {
  return spawnSync("nsenter", [`--net=/run/netns/${host.name}`, ...wrap, quantumBin], {
    // Autostart off: once the daemon is stopped the shim must fall back, not start another.
    env: { PATH: process.env["PATH"] ?? "", QUANTUM_AUTOSTART: "0", QUANTUM_REGISTRY_DIR: testRegistryDir(), ...env },
    input: stdin,
    encoding: "utf8",
    timeout: 30_000,
  });
}

const conf = JSON.stringify({ cniVersion: "1.0.0", name: "api-net", type: "quantum" });
/**
 * An ADD refused for its env (code 4) before anything is touched: it reaches the daemon (VERSION
 * would not: the shim answers that itself), and either side's answer is the same error.
 */
const NO_IFNAME = { CNI_COMMAND: "ADD", CNI_CONTAINERID: "c", CNI_IFNAME: "", CNI_NETNS: "/x", CNI_PATH: "/x" };

describe("daemon API edges", { timeout: 120_000 }, () => {
  let host: TestNetns;
  let daemon: TestDaemon;
  before(async () => {
    host = createTestNetns("qsrv");
    daemon = new TestDaemon(host.name, { maxBody: 64 * 1024, dataDirs: [] });
    await daemon.start();
  });
  after(async () => {
    await daemon?.cleanup();
    if (host) deleteTestNetns(host);
  });

  it("creates the socket mode 0600", async () => {
    const { statSync } = await import("node:fs");
    assert.equal(statSync(daemon.socket).mode & 0o777, 0o600);
  });

  it("a non-root client cannot open the socket (0600)", () => {
    const r = shim(host, { ...daemon.env, ...NO_IFNAME }, conf, [
      "setpriv",
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
    ]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const err = JSON.parse(r.stdout) as { code: number; details: string };
    assert.equal(err.code, 11);
    assert.match(err.details, /Permission denied/);
  });

  it("a non-root peer that reaches the socket is refused by SO_PEERCRED, with a CNI error", async () => {
    chmodSync(daemon.socket, 0o666);
    try {
      const r = shim(host, { ...daemon.env, ...NO_IFNAME }, conf, [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
      ]);
      assert.equal(r.status, 1, r.stdout + r.stderr);
      const err = JSON.parse(r.stdout) as { code: number; msg: string };
      assert.match(err.msg, /uid 65534 is not allowed/);
    } finally {
      chmodSync(daemon.socket, 0o600);
    }
    await daemon.waitLog(/refused connection/);
  });

  it("malformed HTTP → 400 with a CNI error body, connection closed", async () => {
    const out = await raw(daemon.socket, "THIS IS NOT HTTP\r\n\r\n");
    assert.match(out, /^HTTP\/1\.1 400/);
    assert.match(out, /x-cni-exit: 1/i);
    assert.match(out, /"code":6/);
  });

  it("an oversized body → 413 with a CNI error (5), by Content-Length and by the bytes sent", async () => {
    const big = JSON.stringify({ v: 1, env: { CNI_COMMAND: "ADD" }, stdin: "x".repeat(100 * 1024) });
    const declared = await daemon.http("POST", "/v1/cni", big);
    assert.equal(declared.status, 413);
    assert.equal(declared.headers["x-cni-exit"], "1");
    assert.equal((JSON.parse(declared.body) as { code: number }).code, 5);
    const lying = await raw(
      daemon.socket,
      `POST /v1/cni HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${(big.length).toString(16)}\r\n${big}\r\n0\r\n\r\n`,
    );
    assert.match(lying, /^HTTP\/1\.1 413/);
  });

  it("the shim relays an oversized-stdin refusal as a CNI error", () => {
    const stdin = JSON.stringify({
      cniVersion: "1.0.0",
      name: "api-net",
      type: "quantum",
      pad: "y".repeat(200 * 1024),
    });
    const r = shim(
      host,
      { ...daemon.env, CNI_COMMAND: "ADD", CNI_CONTAINERID: "c", CNI_IFNAME: "eth0", CNI_NETNS: "/x", CNI_PATH: "/x" },
      stdin,
    );
    assert.equal(r.status, 1);
    assert.equal((JSON.parse(r.stdout) as { code: number }).code, 5);
  });

  for (const v of [0, 2, "1"]) {
    it(`schema version ${JSON.stringify(v)} → 400, code 1, readable by the shim's rules`, async () => {
      const r = await daemon.http("POST", "/v1/cni", JSON.stringify({ v, env: { CNI_COMMAND: "VERSION" }, stdin: "" }));
      assert.equal(r.status, 400);
      assert.equal(r.headers["x-cni-exit"], "1");
      assert.equal(r.headers["x-cni-stdout-length"], String(Buffer.byteLength(r.body)));
      assert.equal((JSON.parse(r.body) as { code: number }).code, 1);
    });
  }

  it("a body that is not JSON → code 6", async () => {
    const r = await daemon.http("POST", "/v1/cni", "{{{");
    assert.equal(r.status, 400);
    assert.equal((JSON.parse(r.body) as { code: number }).code, 6);
  });

  it("unknown routes → 404, wrong methods → 405", async () => {
    assert.equal((await daemon.http("GET", "/nope")).status, 404);
    assert.equal((await daemon.http("GET", "/v1/cni")).status, 405);
  });

  it("stdin with every awkward byte reaches the daemon intact (JSON escaping in the shim)", () => {
    const weird = `{"cniVersion":"1.0.0","name":"api-net","type":"quantum","note":"tab\\t quote\\" backslash\\\\ nl\\n é ✓ \\u0001"}`;
    const r = shim(
      host,
      {
        ...daemon.env,
        CNI_COMMAND: "ADD",
        CNI_CONTAINERID: "c",
        CNI_IFNAME: "eth0:1",
        CNI_NETNS: "/x",
        CNI_PATH: "/x",
      },
      weird,
    );
    // Parsed fine: the error is about the env (4), not a decode failure (6).
    assert.equal((JSON.parse(r.stdout) as { code: number }).code, 4, r.stdout);
  });

  it("after all that the daemon is healthy", async () => {
    assert.equal((await daemon.http("GET", "/healthz")).status, 200);
    assert.equal((await daemon.http("GET", "/readyz")).status, 200);
    const r = shim(host, { ...daemon.env, ...NO_IFNAME }, conf);
    assert.equal(r.status, 1);
    assert.equal((JSON.parse(r.stdout) as { code: number }).code, 4, "the daemon answered");
  });

  it("SIGTERM: exits 0 and removes the socket; the shim then falls back to direct mode", async () => {
    assert.equal(await daemon.stop(), 0);
    const { existsSync } = await import("node:fs");
    assert.equal(existsSync(daemon.socket), false);
    const r = shim(host, { ...daemon.env, ...NO_IFNAME }, conf);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /"code":4,"msg":"required env variables \[CNI_IFNAME\] missing"/);
    assert.equal(existsSync(`${daemon.socket}.lock`), false, "no autostart was attempted");
  });
});

describe("--allow-uid", { timeout: 60_000 }, () => {
  let host: TestNetns;
  let daemon: TestDaemon;
  before(async () => {
    host = createTestNetns("qsrv");
    daemon = new TestDaemon(host.name, { allowUids: [65534], dataDirs: [] });
    await daemon.start();
  });
  after(async () => {
    await daemon?.cleanup();
    if (host) deleteTestNetns(host);
  });

  it("lets the allowed uid in (socket opened up by the admin)", () => {
    chmodSync(daemon.socket, 0o666);
    const r = shim(host, { ...daemon.env, ...NO_IFNAME }, conf, [
      "setpriv",
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
    ]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.equal((JSON.parse(r.stdout) as { code: number }).code, 4, "the daemon answered");
  });
});
