import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hostPortMappings, recordHasHostPorts } from "./host-ports.js";
import { type AssignedIp, IsolationLevel, NetworkDriverType, type NetworkSpec } from "./types.js";

const SPEC: NetworkSpec = {
  name: "k8s",
  id: "abcd1234",
  driver: NetworkDriverType.Bridge,
  isolation: IsolationLevel.None,
  subnets: [],
  routes: [],
  bridge: "qbr0",
  ipMasq: false,
  hairpinMode: false,
  promiscMode: false,
  isGateway: true,
  isDefaultGateway: true,
  forceAddress: false,
};
const DUAL: AssignedIp[] = [
  { address: "10.87.0.2/24", family: 4, gateway: "10.87.0.1" },
  { address: "fd00:87::2/64", family: 6, gateway: "fd00:87::1" },
];

describe("hostPortMappings", () => {
  it("without a host IP: one mapping per container family (as portmap); hostPort 0 means none", () => {
    const m = hostPortMappings(
      SPEC,
      [
        { protocol: "tcp", hostPort: 30080, containerPort: 8080 },
        { protocol: "tcp", hostPort: 0, containerPort: 9090 },
      ],
      DUAL,
    );
    assert.deepEqual(m, [
      { protocol: "tcp", hostPort: 30080, containerIp: "10.87.0.2", containerPort: 8080 },
      { protocol: "tcp", hostPort: 30080, containerIp: "fd00:87::2", containerPort: 8080 },
    ]);
  });

  it("with a host IP: only that family", () => {
    const m = hostPortMappings(SPEC, [{ protocol: "udp", hostPort: 53, containerPort: 53, hostIp: "127.0.0.1" }], DUAL);
    assert.deepEqual(m, [
      { protocol: "udp", hostPort: 53, containerIp: "10.87.0.2", containerPort: 53, hostIp: "127.0.0.1" },
    ]);
  });

  it("refuses a host IP of a family the container has no address of, and drivers without a host bridge", () => {
    assert.throws(
      () => hostPortMappings(SPEC, [{ protocol: "tcp", hostPort: 1, containerPort: 1, hostIp: "fd00::1" }], [DUAL[0]!]),
      /host IP fd00::1 has no IPv6 container address/,
    );
    assert.throws(
      () =>
        hostPortMappings(
          { ...SPEC, driver: NetworkDriverType.Macvlan },
          [{ protocol: "tcp", hostPort: 1, containerPort: 1 }],
          DUAL,
        ),
      /need the bridge driver, not macvlan/,
    );
    assert.deepEqual(hostPortMappings({ ...SPEC, driver: NetworkDriverType.Macvlan }, [], DUAL), []);
    assert.throws(
      () =>
        hostPortMappings(
          { ...SPEC, isolation: IsolationLevel.Internal },
          [{ protocol: "tcp", hostPort: 1, containerPort: 1 }],
          DUAL,
        ),
      /need isolation "none" \(it is "internal"/,
    );
  });

  it("recordHasHostPorts reads the attachment details", () => {
    assert.equal(recordHasHostPorts({ hostPorts: 2 }), true);
    assert.equal(recordHasHostPorts({ ips: [] }), false);
    assert.equal(recordHasHostPorts(null), false);
  });
});
