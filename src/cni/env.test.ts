import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseCniArgs, parseCniEnv, QUANTUM_CNI_ARGS } from "./env.js";
import { CniError } from "./errors.js";

const BASE = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "ctr1",
  CNI_NETNS: "/run/netns/ctr1",
  CNI_IFNAME: "eth0",
  CNI_PATH: "/opt/cni/bin",
};

/** Asserts a code-4 CniError whose message matches. */
function rejects4(env: Record<string, string | undefined>, msg: RegExp): void {
  assert.throws(
    () => parseCniEnv(env),
    (e: unknown) => e instanceof CniError && e.code === 4 && msg.test(e.msg),
  );
}

describe("parseCniEnv", () => {
  test("reads the full ADD environment", () => {
    const env = parseCniEnv({
      ...BASE,
      CNI_PATH: "/opt/cni/bin::/usr/lib/cni",
      CNI_ARGS: "IgnoreUnknown=1;IP=10.0.0.5",
    });
    assert.deepEqual(env, {
      command: "ADD",
      containerId: "ctr1",
      netns: "/run/netns/ctr1",
      ifname: "eth0",
      argsRaw: "IgnoreUnknown=1;IP=10.0.0.5",
      args: { IgnoreUnknown: "1", IP: "10.0.0.5" },
      path: ["/opt/cni/bin", "/usr/lib/cni"],
    });
  });

  test("vector 2: ADD without CNI_IFNAME is code 4 naming it", () => {
    rejects4({ ...BASE, CNI_IFNAME: undefined }, /CNI_IFNAME/);
  });

  test("all missing variables are reported in one error", () => {
    rejects4(
      { CNI_COMMAND: "ADD" },
      /^required env variables \[CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH\] missing$/,
    );
  });

  test("empty counts as unset (libcni sets all six)", () => {
    rejects4({ ...BASE, CNI_CONTAINERID: "", CNI_PATH: "" }, /\[CNI_CONTAINERID,CNI_PATH\]/);
  });

  test("CNI_COMMAND unset is a code-4 error naming it", () => {
    rejects4({}, /\[CNI_COMMAND\]/);
  });

  test("an unknown CNI_COMMAND is code 4", () => {
    rejects4({ ...BASE, CNI_COMMAND: "FOO" }, /unknown CNI_COMMAND: "FOO"/);
  });

  test("CNI_NETNS is optional on DEL (containerd sends it empty)", () => {
    const env = parseCniEnv({ ...BASE, CNI_COMMAND: "DEL", CNI_NETNS: "" });
    assert.equal(env.netns, undefined);
  });

  for (const cmd of ["ADD", "CHECK"]) {
    test(`CNI_NETNS is required on ${cmd}`, () => rejects4({ ...BASE, CNI_COMMAND: cmd, CNI_NETNS: "" }, /CNI_NETNS/));
  }

  for (const cmd of ["ADD", "DEL", "CHECK", "GC", "STATUS"]) {
    test(`CNI_PATH is required on ${cmd} (as skel)`, () =>
      rejects4({ ...BASE, CNI_COMMAND: cmd, CNI_PATH: "" }, /CNI_PATH/));
  }

  for (const cmd of ["GC", "STATUS"]) {
    test(`${cmd} needs only CNI_COMMAND and CNI_PATH`, () => {
      assert.deepEqual(parseCniEnv({ CNI_COMMAND: cmd, CNI_PATH: "/opt/cni/bin" }), {
        command: cmd,
        args: {},
        path: ["/opt/cni/bin"],
      });
    });
  }

  test("VERSION needs nothing else and validates nothing", () => {
    assert.deepEqual(parseCniEnv({ CNI_COMMAND: "VERSION", CNI_IFNAME: "bad/name", CNI_ARGS: "junk" }), {
      command: "VERSION",
      args: {},
      path: [],
    });
  });

  const badIds = ["-ctr", ".ctr", "ctr 1", "ctr/1", "ctr:1", "ctré"];
  for (const id of badIds) {
    test(`container id ${JSON.stringify(id)} is code 4`, () => {
      rejects4({ ...BASE, CNI_CONTAINERID: id }, /invalid CNI_CONTAINERID/);
    });
  }
  test("container ids with _ . - after the first character are fine", () => {
    assert.equal(parseCniEnv({ ...BASE, CNI_CONTAINERID: "a_b.c-D9" }).containerId, "a_b.c-D9");
  });

  const badIfnames: [string, RegExp][] = [
    ["eth0:1", /must not contain \/ or :/],
    ["a".repeat(16), /too long/],
    ["é".repeat(8), /too long/], // 16 bytes
    [".", /must not be \. or \.\./],
    ["..", /must not be \. or \.\./],
    ["eth/0", /must not contain/],
    ["eth 0", /whitespace/],
    ["eth\t0", /whitespace/],
  ];
  for (const [name, msg] of badIfnames) {
    test(`ifname ${JSON.stringify(name)} is code 4`, () => {
      rejects4({ ...BASE, CNI_IFNAME: name }, new RegExp(`invalid CNI_IFNAME .*${msg.source}`));
    });
  }
  test("a 15-byte ifname is fine", () => {
    assert.equal(parseCniEnv({ ...BASE, CNI_IFNAME: "a".repeat(15) }).ifname, "a".repeat(15));
  });

  test("bad CNI_ARGS are code 4 naming CNI_ARGS", () => {
    rejects4({ ...BASE, CNI_ARGS: "FOO=bar" }, /unknown CNI_ARGS "FOO=bar"/);
  });
});

describe("parseCniArgs", () => {
  const known = QUANTUM_CNI_ARGS;
  test("kubelet's args parse", () => {
    assert.deepEqual(
      parseCniArgs("IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;K8S_POD_INFRA_CONTAINER_ID=abc", known),
      { IgnoreUnknown: "1", K8S_POD_NAMESPACE: "ns", K8S_POD_NAME: "p", K8S_POD_INFRA_CONTAINER_ID: "abc" },
    );
  });
  test("empty string = no args", () => assert.deepEqual(parseCniArgs("", known), {}));
  test("a pair needs exactly one =", () => {
    assert.throws(() => parseCniArgs("IP", known), /invalid CNI_ARGS pair "IP"/);
    assert.throws(() => parseCniArgs("IP=a=b", known), /invalid CNI_ARGS pair "IP=a=b"/);
    assert.throws(() => parseCniArgs("IP=1;", known), /invalid CNI_ARGS pair ""/);
  });
  test("keys are case-sensitive", () => {
    assert.throws(() => parseCniArgs("ip=10.0.0.1", known), /unknown CNI_ARGS "ip=10.0.0.1"/);
  });
  test("unknown keys are an error unless IgnoreUnknown=1|true (then dropped)", () => {
    assert.throws(() => parseCniArgs("X=1;Y=2", known), /"X=1", "Y=2"/);
    assert.throws(() => parseCniArgs("IgnoreUnknown=0;X=1", known), /unknown/);
    assert.deepEqual(parseCniArgs("X=1;IgnoreUnknown=true", known), { IgnoreUnknown: "true" });
    assert.deepEqual(parseCniArgs("IgnoreUnknown=1;X=1;MAC=aa", known), { IgnoreUnknown: "1", MAC: "aa" });
  });
  test("a bad IgnoreUnknown value is an error naming it", () => {
    assert.throws(() => parseCniArgs("IgnoreUnknown=yes", known), /IgnoreUnknown="yes"/);
  });
  test("the caller decides the known keys", () => {
    assert.deepEqual(parseCniArgs("FOO=1", ["FOO"]), { FOO: "1" });
    assert.throws(() => parseCniArgs("IP=1", []), /unknown/);
  });
});
