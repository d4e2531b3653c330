// node bench/store-integrity.mjs (after npm run build): what the integrity check at store open
// costs on a 1000-attachment store (PRAGMA quick_check vs integrity_check), and a cached reopen.
// Issue 10 chose quick_check at every open, cached per process by file identity.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { SqliteStore } from "../dist/src/store/index.js";

const dir = mkdtempSync(join(tmpdir(), "qcb-"));
const s = SqliteStore.open(dir);
s.transaction(() => {
  for (let i = 0; i < 1000; i++) {
    const ip = `10.${(i >> 8) & 255}.${i & 255}.2`;
    s.reserve({
      network: "n",
      rangeId: "0",
      ip,
      containerId: `c${"x".repeat(60)}${i}`,
      ifname: "eth0",
      prefixLength: 16,
    });
    s.putAttachment({
      network: "n",
      containerId: `c${"x".repeat(60)}${i}`,
      ifname: "eth0",
      netns: `/var/run/netns/cni-${i}-aaaaaaaa-bbbb-cccc`,
      hostIfname: `veth${i}`,
      ips: [`${ip}/16`],
      result: {
        ips: [{ address: `${ip}/16`, family: 4, gateway: "10.0.0.1" }],
        routes: [{ dst: "0.0.0.0/0", gw: "10.0.0.1" }],
        interfaces: [
          { name: "br", mac: "aa:bb:cc:dd:ee:ff" },
          { name: `veth${i}`, mac: "aa:bb:cc:dd:ee:ff" },
          { name: "eth0", mac: "aa:bb:cc:dd:ee:ff", sandbox: "/x" },
        ],
        delegated: false,
      },
    });
  }
});
s.checkpoint();
s.close();
const db = new Database(join(dir, "quantum.db"));
const times = [];
for (let i = 0; i < 50; i++) {
  const t = process.hrtime.bigint();
  db.pragma("quick_check(5)");
  times.push(Number(process.hrtime.bigint() - t) / 1e6);
}
times.sort((a, b) => a - b);
const ic = [];
for (let i = 0; i < 10; i++) {
  const t = process.hrtime.bigint();
  db.pragma("integrity_check(5)");
  ic.push(Number(process.hrtime.bigint() - t) / 1e6);
}
ic.sort((a, b) => a - b);
const { statSync } = await import("node:fs");
console.log(
  JSON.stringify({
    sizeKiB: statSync(join(dir, "quantum.db")).size / 1024,
    quickCheckMs: { p50: times[25], p90: times[45], max: times[49] },
    integrityCheckMs: { p50: ic[5] },
  }),
);
// open cost with and without the cached check, cold (new process each time measured separately)
db.close();
const o = [];
for (let i = 0; i < 20; i++) {
  const t = process.hrtime.bigint();
  SqliteStore.open(dir).close();
  o.push(Number(process.hrtime.bigint() - t) / 1e6);
}
o.sort((a, b) => a - b);
console.log(JSON.stringify({ openCachedMs: { p50: o[10] } }));
rmSync(dir, { recursive: true, force: true });
