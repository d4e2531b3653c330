import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { silentLogger } from "../logger.js";
import type { DockerAnswer } from "./dispatch.js";
import { CONTENT_TYPE, DockerPluginServer, driverNameOf } from "./plugin-server.js";

interface Reply {
  status: number;
  type: string | undefined;
  body: Record<string, unknown>;
}

function post(socketPath: string, path: string, body: string | undefined, method = "POST"): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method, headers: { "Content-Type": CONTENT_TYPE } }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => {
        text += c.toString();
      });
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          type: res.headers["content-type"],
          body: JSON.parse(text) as Record<string, unknown>,
        }),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("DockerPluginServer: the protocol layer", () => {
  let dir: string;
  let server: DockerPluginServer;
  const seen: { method: string; body: unknown }[] = [];
  const never = new Promise<DockerAnswer>(() => {});

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "qdk-unit-"));
    server = new DockerPluginServer({
      socketPath: join(dir, "plugins", "qtest.sock"),
      dataDir: dir,
      firewallTable: "unused",
      logger: silentLogger(),
      deadlineMs: 200,
      backend: async (method, body) => {
        seen.push({ method, body });
        if (method.endsWith(".Hang")) return never;
        if (method === "IpamDriver.RequestPool") {
          // Succeeds, but only after the deadline: Docker has been told it failed.
          await new Promise((r) => setTimeout(r, 400));
          return { status: 200, body: { PoolID: "QuantumLocal/10.9.0.0/24", Pool: "10.9.0.0/24", Data: {} } };
        }
        return { status: 200, body: { echo: method } };
      },
    });
    await server.listen();
  });

  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves on the socket (mode 0600) with Docker's content type; the driver is the basename", async () => {
    assert.equal(server.driverName, "qtest");
    assert.equal(statSync(join(dir, "plugins", "qtest.sock")).mode & 0o777, 0o600);
    const r = await post(join(dir, "plugins", "qtest.sock"), "/NetworkDriver.GetCapabilities", "{}");
    assert.equal(r.status, 200);
    assert.equal(r.type, CONTENT_TYPE);
    assert.deepEqual(r.body, { echo: "NetworkDriver.GetCapabilities" });
  });

  it("an empty or null body (Plugin.Activate) reaches the handler as {}", async () => {
    seen.length = 0;
    await post(join(dir, "plugins", "qtest.sock"), "/Plugin.Activate", "");
    await post(join(dir, "plugins", "qtest.sock"), "/Plugin.Activate", "null");
    assert.deepEqual(seen, [
      { method: "Plugin.Activate", body: {} },
      { method: "Plugin.Activate", body: {} },
    ]);
  });

  it("a call that does not finish is answered at the deadline, in each protocol's error shape", async () => {
    const sock = join(dir, "plugins", "qtest.sock");
    const t0 = performance.now();
    const [net, ipam] = await Promise.all([
      post(sock, "/NetworkDriver.Hang", "{}"),
      post(sock, "/IpamDriver.Hang", "{}"),
    ]);
    assert.ok(performance.now() - t0 < 5000, "no answer near the deadline");
    assert.match(String(net.body["Err"]), /NetworkDriver\.Hang did not finish within 200 ms/);
    assert.equal(net.body["Error"], undefined);
    assert.match(String(ipam.body["Error"]), /IpamDriver\.Hang did not finish within 200 ms/);
    assert.equal(ipam.body["Err"], undefined);
  });

  it("a call that succeeds after its deadline is undone with the call Docker would have made", async () => {
    seen.length = 0;
    const r = await post(join(dir, "plugins", "qtest.sock"), "/IpamDriver.RequestPool", '{"Pool":"10.9.0.0/24"}');
    assert.match(String(r.body["Error"]), /did not finish within 200 ms/);
    const deadline = Date.now() + 5000;
    while (!seen.some((c) => c.method === "IpamDriver.ReleasePool") && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 20));
    }
    assert.deepEqual(seen, [
      { method: "IpamDriver.RequestPool", body: { Pool: "10.9.0.0/24" } },
      { method: "IpamDriver.ReleasePool", body: { PoolID: "QuantumLocal/10.9.0.0/24" } },
    ]);
  });

  it("bad JSON and other verbs than POST get a clear error", async () => {
    const sock = join(dir, "plugins", "qtest.sock");
    const bad = await post(sock, "/IpamDriver.ReleasePool", "{not json");
    assert.equal(bad.status, 400);
    assert.match(String(bad.body["Error"]), /request body is not JSON/);
    const get = await post(sock, "/NetworkDriver.Join", undefined, "GET");
    assert.equal(get.status, 405);
    assert.match(String(get.body["Err"]), /are POST/);
  });

  it("driverNameOf: basename without .sock; refuses names Docker cannot use", () => {
    assert.equal(driverNameOf("/run/docker/plugins/quantum.sock"), "quantum");
    assert.equal(driverNameOf("/x/q-2"), "q-2");
    assert.throws(() => driverNameOf("/run/docker/plugins/.sock"), /not a usable Docker driver name/);
    assert.throws(() => driverNameOf("/run/docker/plugins/a b.sock"), /not a usable Docker driver name/);
  });
});
