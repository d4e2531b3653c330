// KernelError construction from addon errors.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KernelError, LinkNotFoundError, toKernelError } from "./errors.js";
import { nativeError } from "./testing/fake-channel.js";

describe("errors", () => {
  it("toKernelError: message names the object, the reason and the kernel's text", () => {
    const e = toKernelError(nativeError(17, "EEXIST", "File exists"), "addVeth", "veth c0ffee12");
    assert.ok(e instanceof KernelError);
    assert.equal(e.message, "veth c0ffee12: File exists");
    assert.equal(e.errno, 17);
    assert.equal(e.code, "EEXIST");
    assert.equal(e.op, "addVeth");
    const k = toKernelError(nativeError(22, "EINVAL", "Invalid argument", "Unknown device type"), "addVeth", "x");
    assert.ok(k instanceof KernelError);
    assert.equal(k.message, "x: Invalid argument (kernel: Unknown device type)");
    assert.equal(k.kernelMessage, "Unknown device type");
  });

  it("toKernelError: ENODEV is LinkNotFoundError; other errors pass through", () => {
    assert.ok(
      toKernelError(nativeError(19, "ENODEV", "No such device"), "deleteLink", "link x") instanceof LinkNotFoundError,
    );
    const plain = new TypeError("nope");
    assert.equal(toKernelError(plain, "op", "obj"), plain);
  });
});
