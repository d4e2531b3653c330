// The C shim on its own, against fake daemons on unix sockets in a temp dir: where it connects,
// what it does when the daemon is absent, silent or dead, and how it relays an answer. Autostart
// is off here (test/server/autostart.test.ts covers it), so "absent" means direct mode.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { quantumBin } from "../helpers/cni-runner.js";
import { testRegistryDir } from "../helpers/registry.js";

interface ShimRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function shim(env: Record<string, string>, stdin: string): Promise<ShimRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(quantumBin, [], {
      env: { PATH: process.env["PATH"] ?? "", QUANTUM_AUTOSTART: "0", QUANTUM_REGISTRY_DIR: testRegistryDir(), ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, ms: performance.now() - t0 }));
    child.stdin.on("error", () => undefined);
    child.stdin.end(stdin);
  });
}

/** A fake daemon: behaviour(socket, request bytes so far) decides what to do. */
function fake(path: string, onData: (sock: Socket, got: string) => void): Promise<Server> {
  const server = createServer((sock) => {
    let got = "";
    sock.on("data", (b) => {
      got += b.toString();
      onData(sock, got);
    });
    sock.on("error", () => undefined);
  });
  return new Promise((resolve) => server.listen(path, () => resolve(server)));
}

/** The request body once complete (Content-Length bytes after the head), else undefined. */
function body(got: string): string | undefined {
  const i = got.indexOf("\r\n\r\n");
  if (i < 0) return undefined;
  const len = Number(/content-length: (\d+)/i.exec(got.slice(0, i))?.[1]);
  const b = got.slice(i + 4);
  return Buffer.byteLength(b) >= len ? b : undefined;
}

function reply(sock: Socket, exit: number, stdout: string, stderr = ""): void {
  const all = stdout + stderr;
  sock.end(
    `HTTP/1.1 200 OK\r\nX-CNI-Exit: ${exit}\r\nX-CNI-Stdout-Length: ${Buffer.byteLength(stdout)}\r\n` +
      `Content-Length: ${Buffer.byteLength(all)}\r\nConnection: close\r\n\r\n${all}`,
  );
}

const ADD_ENV = { CNI_COMMAND: "ADD", CNI_CONTAINERID: "c1", CNI_IFNAME: "eth0", CNI_NETNS: "/x", CNI_PATH: "/x" };
/** An ADD that direct mode refuses before touching anything: its code-4 error proves who answered. */
const NO_IFNAME_ENV = { ...ADD_ENV, CNI_IFNAME: "" };
const DIRECT_ANSWER = /"code":4,"msg":"required env variables \[CNI_IFNAME\] missing"/;
const CONF = '{"cniVersion":"1.0.0","name":"n","type":"quantum"}';

describe("the shim", { timeout: 120_000 }, () => {
  let dir: string;
  const servers: Server[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "qshim-"));
  });
  after(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    rmSync(dir, { recursive: true, force: true });
  });

  it("sends the CNI_* env and the exact stdin as schema v1, relays stdout, stderr and the exit code", async () => {
    const path = join(dir, "echo.sock");
    let seen: { v: number; env: Record<string, string>; stdin: string } | undefined;
    servers.push(
      await fake(path, (sock, got) => {
        const b = body(got);
        if (b === undefined) return;
        seen = JSON.parse(b);
        reply(sock, 7, '{"code":7}\n', "a log line\n");
      }),
    );
    const stdin = `{"cniVersion":"1.0.0","name":"n","x":"\\u0000 \\"q\\" ✓\\n\\t"}\n\t `;
    const r = await shim({ ...ADD_ENV, CNI_ARGS: "A=b;C=d", QUANTUM_SOCKET: path, OTHER: "not sent" }, stdin);
    assert.equal(r.code, 7);
    assert.equal(r.stdout, '{"code":7}\n');
    assert.equal(r.stderr, "a log line\n");
    assert.equal(seen?.v, 1);
    assert.equal(seen?.stdin, stdin);
    assert.deepEqual(seen?.env, { ...ADD_ENV, CNI_ARGS: "A=b;C=d" });
  });

  it("a large stdin (4 MB) arrives intact", async () => {
    const path = join(dir, "big.sock");
    let size = 0;
    servers.push(
      await fake(path, (sock, got) => {
        const b = body(got);
        if (b === undefined) return;
        size = (JSON.parse(b) as { stdin: string }).stdin.length;
        reply(sock, 0, "");
      }),
    );
    const stdin = JSON.stringify({ cniVersion: "1.0.0", name: "n", pad: "z".repeat(4 * 1024 * 1024) });
    const r = await shim({ ...ADD_ENV, QUANTUM_SOCKET: path }, stdin);
    assert.equal(r.code, 0, r.stdout);
    assert.equal(size, stdin.length);
  });

  it("the config's top-level socketPath wins over QUANTUM_SOCKET; one inside prevResult does not count", async () => {
    const good = join(dir, "cfg.sock");
    servers.push(await fake(good, (sock, got) => body(got) !== undefined && reply(sock, 0, "from-config\n")));
    const cfg = {
      cniVersion: "1.1.0",
      name: "n",
      prevResult: { interfaces: [{ name: "x", socketPath: join(dir, "nope.sock") }] },
      socketPath: good,
    };
    const r = await shim({ ...ADD_ENV, QUANTUM_SOCKET: join(dir, "also-nope.sock") }, JSON.stringify(cfg));
    assert.equal(r.stdout, "from-config\n");
    const nested = { cniVersion: "1.1.0", name: "n", prevResult: { interfaces: [{ socketPath: good }] } };
    const r2 = await shim({ ...NO_IFNAME_ENV, QUANTUM_SOCKET: join(dir, "absent.sock") }, JSON.stringify(nested));
    assert.match(r2.stdout, DIRECT_ANSWER, "fell back to direct mode: the nested socketPath was ignored");
  });

  it("socket absent → direct mode answers", async () => {
    const r = await shim({ ...NO_IFNAME_ENV, QUANTUM_SOCKET: join(dir, "absent.sock") }, CONF);
    assert.equal(r.code, 1);
    assert.match(r.stdout, DIRECT_ANSWER);
  });

  it("direct mode gets the same stdin bytes the shim read", async () => {
    const r = await shim(
      { ...ADD_ENV, CNI_IFNAME: "", QUANTUM_SOCKET: join(dir, "absent.sock") },
      '{"cniVersion":"0.4.0","name":"n","type":"quantum"}',
    );
    assert.equal(r.code, 1);
    // The env error comes first; a config error would mean stdin was lost.
    assert.equal((JSON.parse(r.stdout) as { code: number }).code, 4);
    const bad = await shim({ ...ADD_ENV, QUANTUM_SOCKET: join(dir, "absent.sock") }, "{not json");
    assert.equal((JSON.parse(bad.stdout) as { code: number }).code, 6);
  });

  it("accepted, then closed without an answer (daemon died) → direct mode", async () => {
    const path = join(dir, "dies.sock");
    servers.push(await fake(path, (sock) => sock.destroy()));
    const r = await shim({ ...NO_IFNAME_ENV, QUANTUM_SOCKET: path }, CONF);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, DIRECT_ANSWER);
  });

  it("accepted but silent → code 11 after QUANTUM_SHIM_TIMEOUT_MS", async () => {
    const path = join(dir, "silent.sock");
    servers.push(await fake(path, () => undefined));
    const r = await shim(
      { ...ADD_ENV, QUANTUM_SOCKET: path, QUANTUM_SHIM_TIMEOUT_MS: "300" },
      '{"cniVersion":"0.4.0","name":"n"}',
    );
    assert.equal(r.code, 1);
    const err = JSON.parse(r.stdout) as { code: number; cniVersion: string };
    assert.equal(err.code, 11);
    assert.equal(err.cniVersion, "0.4.0", "the error is in the config's version");
    assert.ok(r.ms >= 250 && r.ms < 10_000, `${r.ms} ms`);
  });

  it("an answer without X-CNI-Exit, or garbage → code 11, never garbage on stdout", async () => {
    const path = join(dir, "garbage.sock");
    servers.push(await fake(path, (sock) => sock.end("HTTP/1.1 500 Oops\r\nContent-Length: 3\r\n\r\nbad")));
    const r = await shim({ ...ADD_ENV, QUANTUM_SOCKET: path }, CONF);
    assert.equal(r.code, 1);
    assert.equal((JSON.parse(r.stdout) as { code: number }).code, 11);
    const path2 = join(dir, "garbage2.sock");
    servers.push(await fake(path2, (sock) => sock.end("not http at all")));
    const r2 = await shim({ ...ADD_ENV, QUANTUM_SOCKET: path2 }, CONF);
    assert.equal((JSON.parse(r2.stdout) as { code: number }).code, 11);
  });

  it("a truncated body (fewer bytes than Content-Length) → code 11", async () => {
    const path = join(dir, "trunc.sock");
    servers.push(
      await fake(path, (sock) => sock.end("HTTP/1.1 200 OK\r\nX-CNI-Exit: 0\r\nContent-Length: 100\r\n\r\nshort")),
    );
    const r = await shim({ ...ADD_ENV, QUANTUM_SOCKET: path }, CONF);
    assert.equal(r.code, 1);
    assert.equal((JSON.parse(r.stdout) as { code: number }).code, 11);
  });
});
