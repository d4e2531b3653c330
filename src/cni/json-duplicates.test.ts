import assert from "node:assert/strict";
import { test } from "node:test";
import { findDuplicateKey } from "./json-duplicates.js";

test("finds duplicate keys at any depth, ignores keys inside strings and arrays of objects", () => {
  assert.equal(findDuplicateKey('{"a":1,"b":2}'), undefined);
  assert.equal(findDuplicateKey('{"a":1,"a":2}'), "a");
  assert.equal(findDuplicateKey('{"ipam":{"type":"x","type":"y"}}'), "ipam.type");
  assert.equal(findDuplicateKey('{"s":"\\"a\\":1,\\"a\\"","a":[{"x":1},{"x":2}]}'), undefined);
  assert.equal(findDuplicateKey('{"r":[{"x":1,"x":2}]}'), "r.x");
  assert.equal(findDuplicateKey('{"a":{"b":1},"c":{"b":1}}'), undefined);
  assert.equal(findDuplicateKey('{"dataDir":"/a" , "dataDir":"/b"}'), "dataDir");
});
