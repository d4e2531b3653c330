import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hasRuleComment, nftObjects, parseNetworks, parseSetElements } from "./parse.js";

// Shapes as nft 1.0.6 prints them with `-j list ...`.
const meta = { metainfo: { version: "1.0.6", json_schema_version: 1 } };
const setJson = {
  nftables: [
    meta,
    {
      set: {
        family: "inet",
        name: "n_ab_a4",
        table: "quantum",
        type: "ipv4_addr",
        elem: [
          "10.0.0.3",
          { elem: { val: "10.0.0.2", comment: "cid1/eth0/veth1" } },
          { elem: { val: "10.0.0.4", comment: "not ours" } },
          42,
        ],
      },
    },
  ],
};

describe("parse", () => {
  it("parseSetElements() reads plain and commented elements, with the owner when the comment is ours", () => {
    assert.deepEqual(parseSetElements(setJson, "n_ab_a4", 4), [
      { ip: "10.0.0.3", family: 4 },
      { ip: "10.0.0.2", family: 4, containerId: "cid1", ifname: "eth0", hostIfname: "veth1" },
      { ip: "10.0.0.4", family: 4 },
    ]);
  });

  it("parseSetElements() gives [] for an empty set, another set's name or junk", () => {
    const empty = { nftables: [meta, { set: { name: "n_ab_a6", type: "ipv6_addr" } }] };
    assert.deepEqual(parseSetElements(empty, "n_ab_a6", 6), []);
    assert.deepEqual(parseSetElements(setJson, "other", 4), []);
    assert.deepEqual(parseSetElements(null, "x", 4), []);
    assert.deepEqual(parseSetElements({ nftables: "no" }, "x", 4), []);
  });

  it("parseNetworks() reads bridge → network id from the fwd_from map", () => {
    const json = {
      nftables: [
        meta,
        {
          map: {
            name: "fwd_from",
            type: "ifname",
            map: "verdict",
            elem: [
              ["qbr0", { jump: { target: "n_a1b2c3d4_from" } }],
              ["qbr1", { jump: { target: "n_ff_from" } }],
              ["other", { jump: { target: "somebody_else" } }],
              ["bad", "accept"],
            ],
          },
        },
      ],
    };
    assert.deepEqual(parseNetworks(json), [
      { id: "a1b2c3d4", bridge: "qbr0" },
      { id: "ff", bridge: "qbr1" },
    ]);
    assert.deepEqual(parseNetworks({ nftables: [meta, { map: { name: "fwd_from" } }] }), []);
  });

  it("hasRuleComment() finds a rule by its exact comment", () => {
    const json = { nftables: [meta, { chain: { name: "c" } }, { rule: { chain: "c", comment: "quantum-net 0123" } }] };
    assert.equal(hasRuleComment(json, "quantum-net 0123"), true);
    assert.equal(hasRuleComment(json, "quantum-net 0124"), false);
    assert.equal(nftObjects(json, "chain").length, 1);
  });
});
