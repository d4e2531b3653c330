import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseCniEnv } from "./env.js";
import { CniError } from "./errors.js";
import { k8sPodFromArgs } from "./k8s-args.js";

const ENV = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "c0ffee",
  CNI_NETNS: "/var/run/netns/cni-1",
  CNI_IFNAME: "eth0",
  CNI_PATH: "/opt/cni/bin",
};
const POD = { namespace: "kube-system", name: "coredns-5d78c9869d-abcde", uid: "0b3f-11", infraContainerId: "c0ffee" };

describe("k8sPodFromArgs: the pod identity containerd's CRI plugin puts into CNI_ARGS", () => {
  // Two orders seen in one run of containerd 1.6 (a Go map: it changes between calls).
  for (const args of [
    "K8S_POD_UID=0b3f-11;IgnoreUnknown=1;K8S_POD_NAMESPACE=kube-system;K8S_POD_NAME=coredns-5d78c9869d-abcde;K8S_POD_INFRA_CONTAINER_ID=c0ffee",
    "IgnoreUnknown=1;K8S_POD_NAMESPACE=kube-system;K8S_POD_NAME=coredns-5d78c9869d-abcde;K8S_POD_INFRA_CONTAINER_ID=c0ffee;K8S_POD_UID=0b3f-11",
  ]) {
    test(`any order: ${args.slice(0, 30)}...`, () => {
      assert.deepEqual(k8sPodFromArgs(parseCniEnv({ ...ENV, CNI_ARGS: args }).args), POD);
    });
  }

  test("IgnoreUnknown=1 drops keys we do not know; without it they fail the call (code 4)", () => {
    const args = "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;K8S_POD_RUNTIME=x";
    assert.deepEqual(k8sPodFromArgs(parseCniEnv({ ...ENV, CNI_ARGS: args }).args), { namespace: "ns", name: "p" });
    assert.throws(
      () => parseCniEnv({ ...ENV, CNI_ARGS: "K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;K8S_POD_RUNTIME=x" }),
      (e: unknown) => e instanceof CniError && e.code === 4 && /K8S_POD_RUNTIME=x/.test(e.msg),
    );
  });

  test("no namespace or no name: no pod (uid alone names nothing)", () => {
    assert.equal(k8sPodFromArgs({}), undefined);
    assert.equal(k8sPodFromArgs({ K8S_POD_NAME: "p", K8S_POD_UID: "u" }), undefined);
    assert.equal(k8sPodFromArgs({ K8S_POD_NAMESPACE: "ns", K8S_POD_NAME: "" }), undefined);
  });
});
