import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ActivationEnv, activationFd, LISTEN_FDS_START } from "./socket-activation.js";

describe("activationFd", () => {
  it("LISTEN_PID is us and LISTEN_FDS=1 → fd 3, and the variables are gone", () => {
    const env: ActivationEnv = { LISTEN_PID: "42", LISTEN_FDS: "1", LISTEN_FDNAMES: "quantumd.socket" };
    assert.equal(activationFd(env, 42), LISTEN_FDS_START);
    assert.deepEqual(env, {});
  });

  it("more than one fd → the first", () => {
    assert.equal(activationFd({ LISTEN_PID: "7", LISTEN_FDS: "2" }, 7), 3);
  });

  it("variables meant for another process (our parent's) → none, and removed", () => {
    const env: ActivationEnv = { LISTEN_PID: "41", LISTEN_FDS: "1" };
    assert.equal(activationFd(env, 42), undefined);
    assert.deepEqual(env, {});
  });

  it("not activated, or zero fds → none", () => {
    assert.equal(activationFd({}, 42), undefined);
    assert.equal(activationFd({ LISTEN_PID: "42", LISTEN_FDS: "0" }, 42), undefined);
    assert.equal(activationFd({ LISTEN_FDS: "1" }, 42), undefined);
  });

  it("a LISTEN_FDS that is not a count → RangeError naming it", () => {
    assert.throws(() => activationFd({ LISTEN_PID: "42", LISTEN_FDS: "x" }, 42), /LISTEN_FDS must be a count, got "x"/);
  });
});
