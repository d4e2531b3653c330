// Issue 10, finding 5: a valid 255-byte container id must not fail ADD on the nftables comment
// limit (128 bytes): long ids are carried as "h.<sha256>", short ones as they are.
import assert from "node:assert/strict";
import { test } from "node:test";
import { addContainerScript } from "./ruleset.js";
import { commentOwnerId, elementComment, MAX_COMMENT, parseElementComment } from "./validate.js";

test("a 255-byte container id fits an element comment, hashed; a 64-byte one is kept", () => {
  const long = `c${"a".repeat(254)}`;
  const comment = elementComment({ containerId: long, ifname: "eth0", hostIfname: "veth0123abcd" });
  assert.ok(comment.length <= MAX_COMMENT, `${comment.length} bytes`);
  assert.equal(parseElementComment(comment)?.containerId, commentOwnerId(long));
  assert.notEqual(commentOwnerId(long), commentOwnerId(`${long.slice(0, -1)}b`));
  const short = "f".repeat(64);
  assert.equal(parseElementComment(elementComment({ containerId: short, ifname: "eth0" }))?.containerId, short);
  assert.match(
    addContainerScript("quantum", "0123abcd", { containerId: long, ifname: "eth0", ips: ["10.0.0.2"] }, "create"),
    /comment "h\.[0-9a-f]{64}\/eth0"/,
  );
});
