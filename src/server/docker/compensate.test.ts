import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { undoOf } from "./compensate.js";

describe("undoOf: what undoes a call that succeeded after Docker was told it failed", () => {
  const ok = (body: object) => ({ status: 200, body });
  it("pool, address, network and endpoint creations have their release", () => {
    assert.deepEqual(undoOf("IpamDriver.RequestPool", {}, ok({ PoolID: "S/10.0.0.0/24" })), {
      method: "IpamDriver.ReleasePool",
      body: { PoolID: "S/10.0.0.0/24" },
    });
    assert.deepEqual(undoOf("IpamDriver.RequestAddress", { PoolID: "p" }, ok({ Address: "10.0.0.2/24" })), {
      method: "IpamDriver.ReleaseAddress",
      body: { PoolID: "p", Address: "10.0.0.2/24" },
    });
    assert.deepEqual(undoOf("NetworkDriver.CreateNetwork", { NetworkID: "n" }, ok({})), {
      method: "NetworkDriver.DeleteNetwork",
      body: { NetworkID: "n" },
    });
    assert.deepEqual(undoOf("NetworkDriver.CreateEndpoint", { NetworkID: "n", EndpointID: "e" }, ok({})), {
      method: "NetworkDriver.DeleteEndpoint",
      body: { NetworkID: "n", EndpointID: "e" },
    });
  });

  it("nothing to undo for a failure, a read or a release", () => {
    assert.equal(undoOf("IpamDriver.RequestPool", {}, ok({ Error: "overlaps" })), undefined);
    assert.equal(
      undoOf("NetworkDriver.CreateEndpoint", { NetworkID: "n", EndpointID: "e" }, ok({ Err: "x" })),
      undefined,
    );
    assert.equal(undoOf("NetworkDriver.CreateNetwork", { NetworkID: "n" }, { status: 400, body: {} }), undefined);
    assert.equal(undoOf("NetworkDriver.Join", { NetworkID: "n", EndpointID: "e" }, ok({})), undefined);
    assert.equal(undoOf("IpamDriver.ReleaseAddress", { PoolID: "p", Address: "a" }, ok({})), undefined);
  });
});
