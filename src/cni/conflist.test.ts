import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseConfList } from "./conflist.js";
import { CniError } from "./errors.js";

const LIST = {
  cniVersion: "1.0.0",
  name: "appnet",
  plugins: [
    { type: "quantum", subnet: "10.88.0.0/16", capabilities: { mac: true } },
    { type: "portmap", capabilities: { portMappings: true } },
  ],
};

function rejects(input: unknown, code: number, msg: RegExp): void {
  assert.throws(
    () => parseConfList(input as Record<string, unknown>),
    (e: unknown) => e instanceof CniError && e.code === code && msg.test(e.msg),
  );
}

describe("parseConfList", () => {
  test("reads a list; plugin objects stay raw; defaults false", () => {
    const l = parseConfList(JSON.stringify(LIST));
    assert.equal(l.cniVersion, "1.0.0");
    assert.equal(l.name, "appnet");
    assert.deepEqual(l.plugins, LIST.plugins);
    assert.deepEqual([l.disableCheck, l.disableGC, l.loadOnlyInlinedPlugins], [false, false, false]);
  });

  test("vector 16: the highest version of cniVersion ∪ cniVersions, ignoring > 1.1.0", () => {
    const l = parseConfList({ ...LIST, cniVersion: "0.3.1", cniVersions: ["0.4.0", "1.0.0", "1.1.0", "2.0.0"] });
    assert.equal(l.cniVersion, "1.1.0");
    assert.deepEqual(l.cniVersions, ["0.4.0", "1.0.0", "1.1.0", "2.0.0"]);
  });

  test("a missing cniVersion means 0.1.0", () => {
    assert.equal(parseConfList({ name: "n", plugins: [{ type: "x" }] }).cniVersion, "0.1.0");
  });

  test("booleans accept true/false strings", () => {
    const l = parseConfList({ ...LIST, disableCheck: "true", disableGC: true, loadOnlyInlinedPlugins: "false" });
    assert.deepEqual([l.disableCheck, l.disableGC, l.loadOnlyInlinedPlugins], [true, true, false]);
  });

  test("no plugins key: empty list, unless loadOnlyInlinedPlugins", () => {
    assert.deepEqual(parseConfList({ name: "n", cniVersion: "1.1.0" }).plugins, []);
    rejects({ name: "n", loadOnlyInlinedPlugins: true }, 7, /"loadOnlyInlinedPlugins": true needs a "plugins" key/);
  });

  test("the parsed plugins do not alias the input", () => {
    const input = structuredClone(LIST);
    const l = parseConfList(input);
    (l.plugins[0] as Record<string, unknown>)["subnet"] = "changed";
    assert.equal(input.plugins[0]?.subnet, "10.88.0.0/16");
  });

  test("errors name the field and value", () => {
    rejects("{", 6, /error parsing configuration list/);
    rejects({ plugins: [] }, 7, /missing conflist field "name"/);
    rejects({ ...LIST, name: "-bad" }, 7, /"name": "-bad" has invalid characters/);
    rejects({ ...LIST, plugins: [{ capabilities: {} }] }, 7, /missing conflist field "plugins\[0\].type"/);
    rejects({ ...LIST, plugins: [{ type: "" }] }, 7, /"plugins\[0\].type": ""/);
    rejects({ ...LIST, disableCheck: "maybe" }, 7, /"disableCheck": "maybe" must be a boolean/);
    rejects({ ...LIST, cniVersions: "1.0.0" }, 7, /"cniVersions": "1.0.0" must be an array/);
    rejects({ ...LIST, plugins: [{ type: "x", capabilities: { mac: "yes" } }] }, 7, /"plugins\[0\].capabilities.mac"/);
  });

  test("an unsupported chosen version is code 1, a bad version string code 6", () => {
    rejects({ ...LIST, cniVersion: "0.5.0" }, 1, /incompatible/);
    rejects({ ...LIST, cniVersions: ["a.b"] }, 6, /invalid version "a.b"/);
  });
});
