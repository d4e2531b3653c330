import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { IsolationLevel, NetworkDriverType, type NetworkSpec } from "../types.js";
import { leaseProblem, type OverlayLease, overlayLeasePath, readOverlayLease } from "./lease.js";
import { overlaySpec } from "./spec.js";

const lease: OverlayLease = {
  version: 1,
  node: "n1",
  subnet: "10.254.1.0/24",
  gateway: "10.254.1.1",
  network: "10.254.0.0/16",
  mtu: 1450,
  ttlSeconds: 60,
  renewedAt: 1_000_000,
  fenced: false,
};

const spec: NetworkSpec = {
  name: "fab",
  id: "abc",
  driver: NetworkDriverType.Overlay,
  isolation: IsolationLevel.None,
  subnets: [],
  routes: [],
  bridge: "qbr-fab",
  ipMasq: false,
  hairpinMode: false,
  promiscMode: false,
  isGateway: true,
  isDefaultGateway: true,
  forceAddress: false,
};

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "qlease-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("overlay lease", () => {
  it("problems: none, fenced, stale renewal, absent", () => {
    assert.equal(leaseProblem(lease, 1_000_000 + 59_000), undefined);
    assert.match(leaseProblem({ ...lease, fenced: true, fenceReason: "x" }, 1_000_000) ?? "", /self-fenced: x/);
    assert.match(leaseProblem(lease, 1_000_000 + 61_000) ?? "", /last renewed 61 s ago/);
    assert.match(leaseProblem(null) ?? "", /no fabric subnet yet/);
  });

  it("overlaySpec takes subnet, gateway and MTU from the lease; a configured larger MTU is capped", () =>
    withDir((dir) => {
      writeFileSync(overlayLeasePath(dir), JSON.stringify({ ...lease, renewedAt: Date.now() }));
      const s = overlaySpec({ ...spec, mtu: 9000 }, dir);
      assert.deepEqual(s.subnets, [{ subnet: "10.254.1.0/24", gateway: "10.254.1.1" }]);
      assert.equal(s.mtu, 1450);
      assert.equal(s.notReady, undefined);
      assert.equal(overlaySpec({ ...spec, mtu: 1400 }, dir).mtu, 1400);
    }));

  it("without a lease the spec is usable for DEL but marked not ready", () =>
    withDir((dir) => {
      const s = overlaySpec(spec, dir);
      assert.deepEqual(s.subnets, []);
      assert.match(s.notReady ?? "", /no fabric subnet/);
    }));

  it("a configured subnet is refused; a malformed lease names the file", () =>
    withDir((dir) => {
      assert.throws(() => overlaySpec({ ...spec, subnets: [{ subnet: "10.9.0.0/24" }] }, dir), /remove "subnet"/);
      writeFileSync(overlayLeasePath(dir), "{not json");
      assert.throws(() => readOverlayLease(dir), /fabric-lease\.json is not JSON/);
    }));
});
