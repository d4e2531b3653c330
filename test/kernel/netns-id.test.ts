// currentNetnsId (the network registry's scope) through the addon's SO_NETNS_COOKIE: two live
// namespaces differ, and a namespace re-created under the same name (often given the freed inode
// number) gets a new id, so registrations of a dead namespace never apply to its successor.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { currentNetnsId } from "../../src/kernel/index.js";
import { createTestNetns, deleteTestNetns, nsExec } from "../helpers/netns.js";

const isRoot = process.getuid?.() === 0;
const kernelIndex = fileURLToPath(new URL("../../src/kernel/index.js", import.meta.url));

function idIn(netnsName: string): string {
  const script = `import(${JSON.stringify(kernelIndex)}).then((k) => console.log(k.currentNetnsId()))`;
  return nsExec(netnsName, process.execPath, ["-e", script]).trim();
}

describe("currentNetnsId", { skip: isRoot ? false : "needs root" }, () => {
  it("is a cookie, differs between namespaces and changes when a namespace is re-created", () => {
    const here = currentNetnsId();
    assert.match(here, /^cookie:\d+$/);
    const a = createTestNetns("qnsid");
    const b = createTestNetns("qnsid");
    let again: ReturnType<typeof createTestNetns> | undefined;
    try {
      const idA = idIn(a.name);
      const idB = idIn(b.name);
      assert.notEqual(idA, here);
      assert.notEqual(idA, idB);
      assert.equal(idIn(a.name), idA, "stable while the namespace lives");
      deleteTestNetns(a);
      again = createTestNetns("qnsid");
      assert.ok(![idA, idB, here].includes(idIn(again.name)), "a new namespace never gets an old id");
    } finally {
      for (const ns of [a, b, again]) if (ns) deleteTestNetns(ns);
    }
  });
});
