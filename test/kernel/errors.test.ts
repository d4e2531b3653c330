// Failure paths: each must name what failed and leave nothing behind (checked with ip -j).
import assert from "node:assert/strict";
import { closeSync } from "node:fs";
import { describe, it } from "node:test";
import {
  checkNetnsPath,
  createHostVeth,
  KernelError,
  LinkNotFoundError,
  NetnsNotFoundError,
  NotANetnsError,
  openNetnsFd,
  Rtnl,
  withNetns,
  withNetnsFd,
} from "../../src/kernel/index.js";
import { ipJson, uniqueName } from "../helpers/netns.js";
import type { IpLink } from "./ip-json.js";
import { ifnames, linkName, needsRoot, withPair } from "./pair.js";

const links = (ns: string) => ifnames(ipJson<IpLink[]>(ns, ["link", "show"]));

describe("kernel errors", { skip: needsRoot }, () => {
  it("a missing netns path is NetnsNotFoundError", () => {
    const path = `/var/run/netns/${uniqueName()}`;
    for (const f of [
      () => Rtnl.open(path),
      () => checkNetnsPath(path),
      () => openNetnsFd(path),
      () => withNetns(path, () => 1),
    ]) {
      assert.throws(f, (e: unknown) => e instanceof NetnsNotFoundError && e.path === path && e.message.includes(path));
    }
  });

  it("a file that is not a network namespace is NotANetnsError", () => {
    for (const path of ["/etc/hostname", "/proc/self/ns/mnt", "/tmp"]) {
      assert.throws(
        () => Rtnl.open(path),
        (e: unknown) => e instanceof NotANetnsError && e.path === path,
        path,
      );
      assert.throws(() => openNetnsFd(path), NotANetnsError, path);
    }
  });

  it("/proc/PID/ns/net paths work as well as /var/run/netns ones", () => {
    // Our own netns, read only: nothing is created in it.
    const r = Rtnl.open("/proc/self/ns/net");
    try {
      assert.ok(r.getLink("lo"));
    } finally {
      r.close();
    }
  });

  it("a closed Rtnl refuses use; closing twice is harmless", () =>
    withPair(({ host }) => {
      const r = Rtnl.open(host.path);
      assert.ok(r.getLink("lo"));
      r.close();
      assert.equal(r.closed, true);
      assert.throws(() => r.getLink("lo"), /closed/);
      assert.throws(() => r.listLinks(), /closed/);
      r.close();
    }));

  it("withNetns closes its socket even when fn throws", () =>
    withPair(({ host }) => {
      let seen: Rtnl | undefined;
      assert.throws(
        () =>
          withNetns(host.path, (r) => {
            seen = r;
            throw new Error("boom");
          }),
        /boom/,
      );
      assert.equal(seen?.closed, true);
    }));

  it("a host-side name clash is EEXIST naming the veth, and leaves nothing behind", () =>
    withPair(({ host, ctr, hostRtnl }) => {
      const name = linkName();
      hostRtnl.addBridge({ name });
      const hostBefore = links(host.name);
      const ctrBefore = links(ctr.name);
      assert.throws(
        () => withNetnsFd(ctr.path, (fd) => hostRtnl.addVeth({ name, peerName: "eth0", peerNetnsFd: fd })),
        (e: unknown) =>
          e instanceof KernelError &&
          e.code === "EEXIST" &&
          e.errno === 17 &&
          e.message === `veth ${name}: File exists`,
      );
      assert.throws(
        () => hostRtnl.addBridge({ name }),
        (e: unknown) => e instanceof KernelError && e.message === `bridge ${name}: File exists`,
      );
      assert.deepEqual(links(host.name), hostBefore);
      assert.deepEqual(links(ctr.name), ctrBefore);
    }));

  it("a container-side name clash is not retried by createHostVeth, and leaves nothing behind", () =>
    withPair(({ host, ctr, hostRtnl }) => {
      withNetnsFd(ctr.path, (fd) => hostRtnl.addVeth({ name: linkName(), peerName: "eth0", peerNetnsFd: fd }));
      const hostBefore = links(host.name);
      const ctrBefore = links(ctr.name);
      const fd = openNetnsFd(ctr.path);
      try {
        assert.throws(
          () => createHostVeth(hostRtnl, { peerName: "eth0", peerNetnsFd: fd, up: true }),
          (e: unknown) => e instanceof KernelError && e.code === "EEXIST" && e.object === "veth peer eth0",
        );
      } finally {
        closeSync(fd);
      }
      assert.deepEqual(links(host.name), hostBefore);
      assert.deepEqual(links(ctr.name), ctrBefore);
    }));

  it("createHostVeth picks a random name and returns the host end", () =>
    withPair(({ host, ctr, hostRtnl }) => {
      const link = withNetnsFd(ctr.path, (fd) =>
        createHostVeth(hostRtnl, { peerName: "eth0", peerNetnsFd: fd, prefix: "qk" }),
      );
      assert.match(link.name, /^qk[0-9a-f]{8}$/);
      assert.deepEqual(links(host.name), [link.name, "lo"].sort());
      assert.deepEqual(links(ctr.name), ["eth0", "lo"]);
    }));

  it("a kernel refusal keeps the kernel's message; a missing link is LinkNotFoundError", () =>
    withPair(({ host, hostRtnl }) => {
      const before = links(host.name);
      const name = linkName();
      assert.throws(
        () => hostRtnl.addVxlan({ name, vni: 5, group: "239.1.1.1" }),
        (e: unknown) =>
          e instanceof KernelError &&
          e.code === "EINVAL" &&
          e.op === "addVxlan" &&
          /multicast/.test(e.kernelMessage ?? "") &&
          e.message === `vxlan ${name}: Invalid argument (kernel: ${e.kernelMessage})`,
      );
      assert.throws(
        () => hostRtnl.addMacvlan({ name: linkName(), parentIndex: 999_999, mode: "bridge" }),
        (e: unknown) => e instanceof LinkNotFoundError && e.op === "addMacvlan",
      );
      assert.throws(() => hostRtnl.setLink(999_999, { up: true }), LinkNotFoundError);
      assert.equal(hostRtnl.getLink("qk-nothing"), null);
      assert.equal(hostRtnl.getLinkByIndex(999_999), null);
      assert.deepEqual(links(host.name), before);
    }));
});
