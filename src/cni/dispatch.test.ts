import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type CniIo, cniMain, type PluginHandlers, type PluginRequest } from "./dispatch.js";
import { CniError } from "./errors.js";
import { formatResult, type Result } from "./result.js";
import { SUPPORTED_VERSIONS } from "./version.js";

const ENV = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "ctr1",
  CNI_NETNS: "/run/netns/ctr1",
  CNI_IFNAME: "eth0",
  CNI_PATH: "/opt/cni/bin",
};

const RESULT: Result = {
  cniVersion: "1.1.0",
  interfaces: [{ name: "eth0", mac: "92:aa:bb:cc:dd:ee", mtu: 1500, sandbox: "/run/netns/ctr1" }],
  ips: [{ interface: 0, address: "10.22.0.2/24", gateway: "10.22.0.1" }],
  routes: [{ dst: "0.0.0.0/0" }],
};

const h = (v: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ cniVersion: v, name: "tnet", type: "quantum", ...extra });

/** Fake handlers recording every request; behaviour per verb can be overridden. */
function fakeHandlers(over: Partial<PluginHandlers> = {}) {
  const calls: PluginRequest[] = [];
  const record =
    <T>(value: T) =>
    async (req: PluginRequest): Promise<T> => {
      calls.push(req);
      return value;
    };
  const handlers: PluginHandlers = {
    add: record(RESULT),
    del: record(undefined),
    check: record(undefined),
    gc: record(undefined),
    status: record(undefined),
  };
  for (const [k, fn] of Object.entries(over)) {
    const key = k as keyof PluginHandlers;
    (handlers as unknown as Record<string, unknown>)[key] = async (req: PluginRequest) => {
      calls.push(req);
      return (fn as (r: PluginRequest) => Promise<unknown>)(req);
    };
  }
  return { handlers, calls };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  stdinRead: boolean;
  calls: PluginRequest[];
}

async function run(
  env: Record<string, string | undefined>,
  stdin: string | (() => Promise<Buffer>),
  over: Partial<PluginHandlers> = {},
): Promise<Run> {
  const { handlers, calls } = fakeHandlers(over);
  let stdout = "";
  let stderr = "";
  let stdinRead = false;
  const io: CniIo = {
    env,
    stdin: async () => {
      stdinRead = true;
      return typeof stdin === "string" ? Buffer.from(stdin) : stdin();
    },
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
  };
  const code = await cniMain(handlers, io);
  return { code, stdout, stderr, stdinRead, calls };
}

/** Asserts exit 1 and a CNI error JSON on stdout with `code`; returns the error object. */
function assertError(r: Run, code: number, msg?: RegExp): Record<string, unknown> {
  assert.equal(r.code, 1);
  const err = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(err["code"], code, r.stdout);
  assert.equal(typeof err["cniVersion"], "string");
  if (msg) assert.match(String(err["msg"]), msg);
  return err;
}

describe("cniMain: protocol", () => {
  test("CNI_COMMAND unset: one about line on stderr, exit 0, stdin untouched", async () => {
    const r = await run({}, "{");
    assert.equal(r.code, 0);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^Quantum CNI plugin: CNI protocol versions supported: 0\.1\.0, .*1\.1\.0\n$/);
    assert.equal(r.stdinRead, false);
  });

  test("vector 1: VERSION prints all seven versions, exit 0, even with broken stdin", async () => {
    for (const stdin of ['{"cniVersion":"1.0.0"}', "{broken"]) {
      const r = await run({ CNI_COMMAND: "VERSION" }, stdin);
      assert.equal(r.code, 0);
      assert.deepEqual(JSON.parse(r.stdout), { cniVersion: "1.1.0", supportedVersions: [...SUPPORTED_VERSIONS] });
      assert.equal(r.stdinRead, false);
    }
  });

  test("vector 2: ADD without CNI_IFNAME is code 4 naming it", async () => {
    const r = await run({ ...ENV, CNI_IFNAME: undefined }, h("1.0.0"));
    assertError(r, 4, /CNI_IFNAME/);
    assert.equal(r.calls.length, 0);
  });

  for (const ifname of ["eth0:1", "abcdefghijklmnop"]) {
    test(`vector 2: CNI_IFNAME=${ifname} is code 4`, async () => {
      assertError(await run({ ...ENV, CNI_IFNAME: ifname }, h("1.0.0")), 4, /CNI_IFNAME/);
    });
  }

  test("vector 3: unknown version is 1, invalid JSON 6, no name 7", async () => {
    assertError(await run(ENV, h("9.0.0")), 1, /incompatible CNI versions/);
    assertError(await run(ENV, "{not json"), 6);
    assertError(await run(ENV, '{"cniVersion":"1.0.0","type":"x"}'), 7, /network name/);
  });

  test("an invalid config field is code 7 naming it", async () => {
    // A protocol field: the plugin's own keys are its handlers' to check (manager/network-config.ts).
    assertError(
      await run(ENV, h("1.0.0", { capabilities: { portMappings: "yes" } })),
      7,
      /"capabilities.portMappings"/,
    );
  });

  test("a bad CNI_ARGS is code 4", async () => {
    assertError(await run({ ...ENV, CNI_ARGS: "FOO=1" }, h("1.0.0")), 4, /CNI_ARGS/);
  });

  test("a stdin read failure is code 5", async () => {
    const r = await run(ENV, async () => {
      throw new Error("EIO");
    });
    assertError(r, 5, /EIO/);
  });

  test("errors carry the config's version when it is supported", async () => {
    const r = await run({ ...ENV, CNI_COMMAND: "STATUS" }, h("1.1.0"), {
      status: async () => {
        throw new CniError(50, "pool exhausted", "10.22.0.0/24");
      },
    });
    assert.deepEqual(JSON.parse(r.stdout), {
      cniVersion: "1.1.0",
      code: 50,
      msg: "pool exhausted",
      details: "10.22.0.0/24",
    });
    const r2 = await run(ENV, h("0.4.0", { ipam: 1 }));
    assert.equal(assertError(r2, 7)["cniVersion"], "0.4.0");
  });

  test("a handler's CniError passes through unchanged; anything else is 999", async () => {
    const passed = await run({ ...ENV, CNI_COMMAND: "DEL" }, h("1.0.0"), {
      del: async () => {
        throw new CniError(11, "try later");
      },
    });
    assert.deepEqual(JSON.parse(passed.stdout), { cniVersion: "1.0.0", code: 11, msg: "try later" });
    const wrapped = await run(ENV, h("1.0.0"), {
      add: async () => {
        throw new RangeError("veth c0ffee12: File exists");
      },
    });
    assertError(wrapped, 999, /^veth c0ffee12: File exists$/);
  });

  test("the handler gets the parsed env, config, raw config and stdin", async () => {
    const stdin = h("1.0.0", { subnet: "10.22.0.0/24", custom: { a: 1 } });
    const r = await run({ ...ENV, CNI_ARGS: "IgnoreUnknown=1;K8S_POD_NAME=p;X=1" }, stdin);
    assert.equal(r.code, 0);
    const req = r.calls[0];
    assert.ok(req);
    assert.equal(req.command, "ADD");
    assert.deepEqual(req.env.args, { IgnoreUnknown: "1", K8S_POD_NAME: "p" });
    assert.deepEqual(req.env.path, ["/opt/cni/bin"]);
    assert.deepEqual(req.config.raw["subnet"], "10.22.0.0/24");
    assert.deepEqual(req.config.raw["custom"], { a: 1 });
    assert.equal(req.stdin.toString(), stdin);
  });
});

describe("cniMain: per version", () => {
  for (const v of SUPPORTED_VERSIONS) {
    test(`[${v}] ADD prints the result converted to the config's version`, async () => {
      const r = await run(ENV, h(v));
      assert.equal(r.code, 0);
      assert.equal(r.stdout, `${formatResult(RESULT, v)}\n`);
      assert.equal(JSON.parse(r.stdout).cniVersion, v);
    });

    test(`[${v}] vector 14: a no-op chained plugin prints prevResult unchanged`, async () => {
      const prevText = formatResult(RESULT, v);
      const r = await run(ENV, h(v, { prevResult: JSON.parse(prevText) }), {
        add: async (req) => req.config.prevResult as Result,
      });
      assert.equal(r.code, 0);
      assert.deepEqual(JSON.parse(r.stdout), JSON.parse(prevText));
    });

    test(`[${v}] DEL succeeds silently, also with an empty CNI_NETNS`, async () => {
      const r = await run({ ...ENV, CNI_COMMAND: "DEL", CNI_NETNS: "" }, h(v));
      assert.deepEqual([r.code, r.stdout, r.calls.length], [0, "", 1]);
      assert.equal(r.calls[0]?.env.netns, undefined);
    });

    const checkOk = ["0.4.0", "1.0.0", "1.1.0"].includes(v);
    test(`[${v}] CHECK ${checkOk ? "runs silently" : "is code 1 (needs 0.4.0)"}`, async () => {
      const r = await run({ ...ENV, CNI_COMMAND: "CHECK" }, h(v));
      if (checkOk) assert.deepEqual([r.code, r.stdout, r.calls.length], [0, "", 1]);
      else {
        assertError(r, 1, /does not allow CHECK/);
        assert.equal(r.calls.length, 0);
      }
    });

    for (const cmd of ["GC", "STATUS"]) {
      test(`[${v}] ${cmd} ${v === "1.1.0" ? "runs silently" : "is code 1 (needs 1.1.0)"}`, async () => {
        const r = await run({ CNI_COMMAND: cmd, CNI_PATH: "/opt/cni/bin" }, h(v));
        if (v === "1.1.0") assert.deepEqual([r.code, r.stdout, r.calls.length], [0, "", 1]);
        else {
          assertError(r, 1, new RegExp(`does not allow ${cmd}`));
          assert.equal(r.calls.length, 0);
        }
      });
    }
  }

  test("GC hands the valid attachments to the handler (either key)", async () => {
    const valid = [{ containerID: "ctr2", ifname: "eth0" }];
    for (const key of ["cni.dev/valid-attachments", "cni.dev/attachments"]) {
      const r = await run({ CNI_COMMAND: "GC", CNI_PATH: "/opt/cni/bin" }, h("1.1.0", { [key]: valid }));
      assert.equal(r.code, 0);
      assert.deepEqual(r.calls[0]?.config.validAttachments, valid);
    }
  });

  test("[0.2.0] an ADD result without IPs cannot be printed: 999 naming the reason", async () => {
    const r = await run(ENV, h("0.2.0"), {
      add: async () => ({ cniVersion: "1.1.0", interfaces: [{ name: "eth0" }] }),
    });
    assertError(r, 999, /no valid IP addresses/);
  });
});
