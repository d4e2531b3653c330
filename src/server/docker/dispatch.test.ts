import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DriverContext } from "./context.js";
import { dispatch, METHODS } from "./dispatch.js";

// Validation happens before any store or kernel access: a context without a dataplane is enough
// to prove that a malformed call is refused in Docker's shape, naming the method and the field.
const noDataplane = { driverName: "qtest" } as unknown as DriverContext;

describe("dispatch: Docker's methods and error shapes", () => {
  it("Plugin.Activate implements both protocols", async () => {
    assert.deepEqual(await dispatch(noDataplane, "Plugin.Activate", {}), {
      status: 200,
      body: { Implements: ["NetworkDriver", "IpamDriver"] },
    });
  });

  it("serves every method of the 20.10 remote driver and IPAM protocols", () => {
    for (const m of [
      "NetworkDriver.GetCapabilities",
      "NetworkDriver.CreateNetwork",
      "NetworkDriver.DeleteNetwork",
      "NetworkDriver.CreateEndpoint",
      "NetworkDriver.EndpointOperInfo",
      "NetworkDriver.DeleteEndpoint",
      "NetworkDriver.Join",
      "NetworkDriver.Leave",
      "NetworkDriver.ProgramExternalConnectivity",
      "NetworkDriver.RevokeExternalConnectivity",
      "NetworkDriver.DiscoverNew",
      "NetworkDriver.DiscoverDelete",
      "IpamDriver.GetCapabilities",
      "IpamDriver.GetDefaultAddressSpaces",
      "IpamDriver.RequestPool",
      "IpamDriver.ReleasePool",
      "IpamDriver.RequestAddress",
      "IpamDriver.ReleaseAddress",
    ]) {
      assert.ok(METHODS.includes(m), m);
    }
  });

  it("an unknown method is 404 in its protocol's shape", async () => {
    assert.deepEqual(await dispatch(noDataplane, "NetworkDriver.AllocateNetwork", {}), {
      status: 404,
      body: { Err: "quantum does not implement NetworkDriver.AllocateNetwork" },
    });
    assert.deepEqual((await dispatch(noDataplane, "IpamDriver.Nope", {})).body, {
      Error: "quantum does not implement IpamDriver.Nope",
    });
  });

  it("RequestPool refuses --ipam-opt (quantum's IPAM has none)", async () => {
    const a = await dispatch(noDataplane, "IpamDriver.RequestPool", {
      AddressSpace: "QuantumLocal",
      Pool: "10.1.0.0/24",
      Options: { k: "v" },
    });
    assert.deepEqual(a, { status: 200, body: { Error: "quantum's IPAM takes no options (got --ipam-opt k)" } });
  });

  const malformed: [string, unknown, RegExp][] = [
    ["IpamDriver.RequestPool", { AddressSpace: "x" }, /RequestPool: invalid request: Pool: Required/],
    ["IpamDriver.RequestAddress", { PoolID: "" }, /RequestAddress: invalid request: PoolID: must not be empty/],
    ["IpamDriver.ReleaseAddress", { PoolID: "p", Address: 5 }, /ReleaseAddress: invalid request: Address/],
    ["NetworkDriver.CreateNetwork", { IPv4Data: [] }, /CreateNetwork: invalid request: NetworkID: Required/],
    ["NetworkDriver.CreateEndpoint", { NetworkID: "n" }, /CreateEndpoint: invalid request: EndpointID: Required/],
    ["NetworkDriver.Join", { NetworkID: "n", EndpointID: "e" }, /Join: invalid request: SandboxKey: Required/],
    ["NetworkDriver.DeleteEndpoint", [], /DeleteEndpoint: invalid request: body/],
  ];
  for (const [method, body, re] of malformed) {
    it(`${method} with ${JSON.stringify(body)} is refused`, async () => {
      const a = await dispatch(noDataplane, method, body);
      // 200: Docker reads the protocol's error field only from a 200 answer (context.ts).
      assert.equal(a.status, 200);
      const msg = (a.body as { Err?: string; Error?: string })[method.startsWith("Ipam") ? "Error" : "Err"];
      assert.match(String(msg), re);
    });
  }
});
