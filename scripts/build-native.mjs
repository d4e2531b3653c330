// Builds the C parts offline with the system compiler against Node's own headers
// (/usr/include/node), so no header download is ever attempted.
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "build");
mkdirSync(out, { recursive: true });
const nodeInclude = process.env.NODE_INCLUDE_DIR ?? "/usr/include/node";
const cc = process.env.CC ?? "cc";
const cflags = ["-O2", "-Wall", "-Wextra", "-Werror", "-std=gnu11"];

function newer(src, dst) {
  return !existsSync(dst) || statSync(src).mtimeMs > statSync(dst).mtimeMs;
}

/**
 * Libraries an addon links against, and the header that must exist to build it. Without the header
 * the addon is skipped with a warning: its TypeScript side falls back (nftables: exec `nft`).
 */
const linkWith = {
  "nftables.c": { libs: ["-lnftables"], header: "/usr/include/nftables/libnftables.h", dev: "libnftables-dev" },
};

/** N-API addons: native/<name>.c -> build/<name>.node */
const addons = readdirSync(join(root, "native")).filter((f) => f.endsWith(".c") && f !== "shim.c");
for (const file of addons) {
  const src = join(root, "native", file);
  const dst = join(out, file.replace(/\.c$/, ".node"));
  if (!newer(src, dst)) continue;
  if (!existsSync(join(nodeInclude, "node_api.h"))) {
    throw new Error(`cannot build ${file}: ${nodeInclude}/node_api.h is missing (set NODE_INCLUDE_DIR)`);
  }
  const link = linkWith[file];
  if (link !== undefined && !existsSync(link.header)) {
    console.warn(`skipping ${file}: ${link.header} is missing (apt-get install -y ${link.dev})`);
    continue;
  }
  const libs = link?.libs ?? [];
  execFileSync(cc, [...cflags, "-shared", "-fPIC", `-I${nodeInclude}`, "-o", dst, src, ...libs], { stdio: "inherit" });
  console.log(`built ${dst}`);
}

/**
 * The plugin executable: native/shim.c -> build/quantum-shim, installed as bin/quantum (ignored by
 * git; runtimes exec it). Direct mode stays available as bin/quantum-direct, which the shim execs
 * when the daemon is not running.
 */
const shim = join(root, "native", "shim.c");
if (existsSync(shim)) {
  const dst = join(out, "quantum-shim");
  if (newer(shim, dst)) {
    execFileSync(cc, [...cflags, "-D_FORTIFY_SOURCE=2", "-o", dst, shim], { stdio: "inherit" });
    console.log(`built ${dst}`);
  }
  const bin = join(root, "bin", "quantum");
  if (newer(dst, bin)) {
    // Copy then rename, so a runtime exec'ing bin/quantum never sees a half-written file.
    const tmp = join(root, "bin", `.quantum.${process.pid}.tmp`);
    copyFileSync(dst, tmp);
    chmodSync(tmp, 0o755);
    renameSync(tmp, bin);
    console.log(`installed ${bin}`);
  }
}
