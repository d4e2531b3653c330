// Link groups against the real kernel and the `ip -j` oracle, in private netns only: a group's
// links (and their veth peers in other netns) go in one request, links outside the group stay.
import assert from "node:assert/strict";
import { closeSync } from "node:fs";
import { describe, it } from "node:test";
import { LinkNotFoundError, openNetnsFd, Rtnl } from "../../src/kernel/index.js";
import { ipJson, withTestNetns } from "../helpers/netns.js";
import { ifnames, linkName, needsRoot } from "./pair.js";

interface IpLinkWithGroup {
  ifname: string;
  group?: string;
}

describe("link groups (kernel)", { skip: needsRoot }, () => {
  it("deleteLinkGroup removes exactly the group's veths, their peers with them", () =>
    withTestNetns(4, ([host, c1, c2, c3]) => {
      if (!host || !c1 || !c2 || !c3) throw new Error("withTestNetns gave fewer namespaces than asked");
      const rtnl = Rtnl.open(host.path);
      try {
        const names: string[] = [];
        for (const ctr of [c1, c2, c3]) {
          const name = linkName();
          const fd = openNetnsFd(ctr.path);
          try {
            rtnl.addVeth({ name, peerName: "eth0", peerNetnsFd: fd, up: true });
          } finally {
            closeSync(fd);
          }
          names.push(name);
        }
        const [a, b, keep] = names as [string, string, string];
        const group = 0x51000000 + Math.floor(Math.random() * 0xffff);
        rtnl.setLinkGroup(a, group);
        rtnl.setLinkGroup(rtnl.getLink(b)?.index ?? -1, group);
        const shown = ipJson<IpLinkWithGroup[]>(host.name, ["link", "show", "dev", a]);
        assert.equal(shown[0]?.group, String(group), "ip shows the group we set");

        rtnl.deleteLinkGroup(group);

        assert.deepEqual(ifnames(ipJson<IpLinkWithGroup[]>(host.name, ["link", "show"])), [keep, "lo"].sort());
        assert.deepEqual(ifnames(ipJson(c1.name, ["link", "show"])), ["lo"], "the peer died with its host end");
        assert.deepEqual(ifnames(ipJson(c2.name, ["link", "show"])), ["lo"]);
        assert.deepEqual(ifnames(ipJson(c3.name, ["link", "show"])), ["eth0", "lo"], "outside the group: kept");
        assert.throws(() => rtnl.deleteLinkGroup(group), LinkNotFoundError, "an empty group is ENODEV");
        assert.throws(() => rtnl.setLinkGroup(a, group), LinkNotFoundError);
      } finally {
        rtnl.close();
      }
    }));
});
