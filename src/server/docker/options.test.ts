import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IsolationLevel } from "../../manager/index.js";
import { GENERIC_OPTIONS } from "./api-types.js";
import { parseNetworkOptions } from "./options.js";

const generic = (o: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  [GENERIC_OPTIONS]: o,
  ...extra,
});

describe("parseNetworkOptions (-o key=value of docker network create)", () => {
  it("defaults: isolation none, masquerade on, nothing else", () => {
    assert.deepEqual(parseNetworkOptions(null), { isolation: IsolationLevel.None, ipMasq: true });
    assert.deepEqual(parseNetworkOptions({ "com.docker.network.enable_ipv6": true }), {
      isolation: IsolationLevel.None,
      ipMasq: true,
    });
  });

  it("reads name, isolation, mtu, bridge, ipmasq and Docker's bridge-driver spellings", () => {
    assert.deepEqual(
      parseNetworkOptions(generic({ name: "n1", isolation: "strict", mtu: "1400", bridge: "br9", ipmasq: "false" })),
      { name: "n1", isolation: IsolationLevel.Strict, mtu: 1400, bridge: "br9", ipMasq: false },
    );
    assert.deepEqual(
      parseNetworkOptions(
        generic({
          "com.docker.network.driver.mtu": "9000",
          "com.docker.network.bridge.name": "br1",
          "com.docker.network.bridge.enable_ip_masquerade": "true",
        }),
      ),
      { isolation: IsolationLevel.None, mtu: 9000, bridge: "br1", ipMasq: true },
    );
  });

  it("--internal means internal isolation, and contradicts isolation=none", () => {
    const internal = { "com.docker.network.internal": true };
    assert.equal(parseNetworkOptions(generic({}, internal)).isolation, IsolationLevel.Internal);
    assert.equal(parseNetworkOptions(generic({ isolation: "strict" }, internal)).isolation, IsolationLevel.Strict);
    assert.throws(() => parseNetworkOptions(generic({ isolation: "none" }, internal)), /contradicts/);
  });

  const bad: [Record<string, unknown>, RegExp][] = [
    [{ colour: "blue" }, /unknown option "colour" \(quantum accepts: name, isolation, mtu, bridge, ipmasq\)/],
    [{ isolation: "total" }, /option "isolation": invalid value "total" \(one of: none, internal, strict\)/],
    [{ mtu: "67" }, /option "mtu": invalid value "67"/],
    [{ mtu: "1e3" }, /option "mtu": invalid value "1e3"/],
    [{ mtu: "70000" }, /option "mtu": invalid value "70000"/],
    [{ ipmasq: "maybe" }, /option "ipmasq": invalid value "maybe" \(true or false\)/],
    [{ name: { nested: 1 } }, /option "name" must be a string/],
  ];
  for (const [o, re] of bad) {
    it(`refuses ${JSON.stringify(o)}`, () => {
      assert.throws(() => parseNetworkOptions(generic(o)), re);
    });
  }
});
