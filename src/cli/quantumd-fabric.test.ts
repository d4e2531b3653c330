import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fabricSettings } from "./quantumd-fabric.js";

describe("quantumd fabric settings", () => {
  it("off without endpoints", () => {
    assert.equal(fabricSettings({}, {}), null);
  });

  it("flags win over the environment; QUANTUM_ETCD_ENDPOINTS alone turns fabric mode on", () => {
    const env = {
      QUANTUM_ETCD_ENDPOINTS: "http://10.0.0.1:2379, http://10.0.0.2:2379",
      QUANTUM_NODE_NAME: "n1",
      QUANTUM_PUBLIC_IP: "10.0.0.1",
    };
    assert.deepEqual(fabricSettings({}, env), {
      endpoints: ["http://10.0.0.1:2379", "http://10.0.0.2:2379"],
      nodeName: "n1",
      publicIP: "10.0.0.1",
      prefix: "/quantum/v1/",
    });
    const s = fabricSettings({ "etcd-endpoints": "http://e:2379", "node-name": "n2", "fabric-resync-ms": "500" }, env);
    assert.deepEqual(s?.endpoints, ["http://e:2379"]);
    assert.equal(s?.nodeName, "n2");
    assert.equal(s?.resyncMs, 500);
  });

  it("reads a JSON config file", () => {
    const dir = mkdtempSync(join(tmpdir(), "qfabcfg-"));
    try {
      const f = join(dir, "fabric.json");
      writeFileSync(
        f,
        JSON.stringify({ etcdEndpoints: "http://a:2379", nodeName: "n3", publicIP: "10.0.0.3", prefix: "/q/" }),
      );
      assert.deepEqual(fabricSettings({ "fabric-config": f }, {}), {
        endpoints: ["http://a:2379"],
        nodeName: "n3",
        publicIP: "10.0.0.3",
        prefix: "/q/",
      });
      writeFileSync(f, "{");
      assert.throws(() => fabricSettings({ "fabric-config": f }, {}), /--fabric-config .*fabric\.json/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("clear errors for what is missing or malformed", () => {
    assert.throws(() => fabricSettings({ "etcd-endpoints": "http://a:2379" }, {}), /needs --node-name/);
    assert.throws(
      () => fabricSettings({ "etcd-endpoints": "http://a:2379", "node-name": "n1" }, {}),
      /needs --public-ip/,
    );
    assert.throws(
      () => fabricSettings({ "etcd-endpoints": "a:2379", "node-name": "n1", "public-ip": "1.2.3.4" }, {}),
      /not http\(s\):\/\/host:port/,
    );
    assert.throws(
      () => fabricSettings({ "etcd-endpoints": "http://a:2379", "node-name": "Node_1", "public-ip": "1.2.3.4" }, {}),
      /node name "Node_1"/,
    );
  });
});
