// The error → CNI code table: codes come from error types along the cause chain, never from text.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CniError } from "../cni/index.js";
import {
  AttachmentProblemsError,
  BridgeFullError,
  InterfaceExistsError,
  IpamError,
  KernelError,
  NetnsNotFoundError,
  NetworkNotReadyError,
  NotANetnsError,
  PeerNameTakenError,
  Problem,
  UnsupportedDriverError,
} from "../network/index.js";
import { StepError } from "../network/undo.js";
import { toCniError } from "./errors.js";
import { DelegateError } from "./plugin-exec.js";

const kernelInit = { errno: 17, code: "EEXIST", op: "addVeth", object: "veth peer eth0", reason: "File exists" };

describe("toCniError: the code table", () => {
  const table: [string, unknown, number][] = [
    ["pool exhausted", new IpamError("exhausted", "no free address in 10.0.0.0/30"), 100],
    ["requested address taken", new IpamError("requested-unavailable", "10.0.0.2 is in use"), 101],
    ["duplicate attachment", new IpamError("duplicate", "ctr/eth0 already attached"), 102],
    ["invalid range", new IpamError("invalid-range", "rangeStart outside subnet"), 7],
    ["netns missing", new NetnsNotFoundError("/run/netns/x"), 4],
    ["not a netns", new NotANetnsError("/tmp"), 4],
    ["ifname taken", new InterfaceExistsError("eth0", "/run/netns/x"), 4],
    ["veth peer name taken", new PeerNameTakenError(kernelInit), 4],
    ["unknown driver", new UnsupportedDriverError("ipvlan"), 2],
    ["no fabric lease yet", new NetworkNotReadyError("ovl", "this node has no fabric subnet yet"), 11],
    [
      "the bridge's 1024 ports are taken",
      new BridgeFullError(
        "n",
        "qbr-n",
        new KernelError({ ...kernelInit, errno: 54, code: "EXFULL", reason: "Exchange full" }),
      ),
      100,
    ],
    ["a delegate's own code", new DelegateError("host-local", "ADD", 11, "busy"), 11],
    ["a CniError as is", new CniError(7, "bad"), 7],
    ["any other kernel error", new KernelError(kernelInit), 999],
    ["anything else", new Error("boom"), 999],
    ["not even an Error", "a string", 999],
  ];
  for (const [what, err, code] of table) {
    test(`${what} → ${code}`, () => {
      const cni = toCniError(err, 'ADD c/eth0 to network "n"');
      assert.equal(cni.code, code);
      // A CniError already speaks to the user; everything else gets the operation's context.
      if (!(err instanceof CniError)) assert.match(cni.msg, /^ADD c\/eth0 to network "n": /);
    });
  }

  test("the code is found through a step, and through a list of problems", () => {
    const inStep = new StepError("allocate addresses", new IpamError("exhausted", "full"));
    assert.equal(toCniError(inStep, "ADD").code, 100);
    const listed = new AttachmentProblemsError([new Problem("remove the link", new NetnsNotFoundError("/x"))], "DEL");
    assert.equal(toCniError(listed, "DEL").code, 4);
  });

  test("a message that merely looks like an error of a kind does not get its code", () => {
    const lookalike = new Error("veth peer eth0: interface already exists in the target netns");
    assert.equal(toCniError(lookalike, "ADD").code, 999);
  });

  test("the cause is kept", () => {
    const root = new IpamError("duplicate", "dup");
    const err = new StepError("check the request", root);
    assert.equal(toCniError(err, "ADD").cause, err);
  });
});
