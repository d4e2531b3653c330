// The layer table of architecture.md as a test over the import graph of src/: every import between
// our folders points down the table, cni/ and kernel/ import nothing of ours, and product code never
// imports test support (a `testing/` folder or a test file). Imports are read from the TypeScript
// sources, type-only ones included: a type import upward is still a design arrow upward.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

/** Which of our folders each folder may import (besides itself). `index.ts` at the root is the package entry. */
export const LAYERS: Readonly<Record<string, readonly string[]>> = {
  cni: [],
  kernel: [],
  store: ["cni"],
  ipam: ["store", "cni"],
  network: ["kernel", "ipam", "store"],
  fabric: ["kernel", "store", "network"],
  manager: ["cni", "network"],
  server: ["cni", "manager", "fabric"],
  plugin: ["cni", "manager"],
  cli: ["cni", "kernel", "store", "ipam", "network", "fabric", "manager", "server", "plugin"],
  ".": ["cni", "kernel", "store", "ipam", "network", "fabric", "manager", "server", "plugin", "cli"],
};

export interface SourceFile {
  /** Path relative to src/, with "/" separators. */
  path: string;
  text: string;
}

export interface Violation {
  file: string;
  imports: string;
  why: string;
}

const IMPORT_RE =
  /(?:^|[\s;])(?:import|export)\s[^"';]*?from\s*["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)|(?:^|[\s;])import\s*["']([^"']+)["']/g;

/** The relative module specifiers a source file imports or re-exports. */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec?.startsWith(".")) out.push(spec);
  }
  return out;
}

function layerOf(path: string): string {
  const first = path.split("/")[0] ?? "";
  return path.includes("/") ? first : ".";
}

function isTestSupport(path: string): boolean {
  return path.endsWith(".test.ts") || path.split("/").includes("testing");
}

/** Every import that breaks the layer table. */
export function layerViolations(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const f of files) {
    const from = layerOf(f.path);
    const allowed = LAYERS[from];
    for (const spec of importsOf(f.text)) {
      const target = join(dirname(f.path), spec).split(sep).join("/");
      if (target.startsWith("..")) {
        violations.push({ file: f.path, imports: spec, why: "reaches outside src/" });
        continue;
      }
      const to = layerOf(target);
      if (isTestSupport(target) && !isTestSupport(f.path)) {
        violations.push({ file: f.path, imports: spec, why: "product code imports test support" });
      }
      if (to === from) continue;
      if (!allowed) {
        violations.push({ file: f.path, imports: spec, why: `folder "${from}" is not in the layer table` });
      } else if (!allowed.includes(to)) {
        violations.push({ file: f.path, imports: spec, why: `${from}/ may not import ${to}/ (arrows point down)` });
      }
    }
  }
  return violations;
}

function sourcesUnder(root: string): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(".ts"))
        out.push({ path: relative(root, p).split(sep).join("/"), text: readFileSync(p, "utf8") });
    }
  };
  walk(root);
  return out;
}

// Compiled to dist/src/layers.test.js; the sources are in <repo>/src.
const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

describe("layers: the import graph of src/ follows architecture.md", () => {
  test("every import points down the layer table", () => {
    // This file's own planted examples are strings, not imports.
    const files = sourcesUnder(SRC).filter((f) => f.path !== "layers.test.ts");
    assert.ok(files.length > 100, `found only ${files.length} sources under ${SRC}`);
    const bad = layerViolations(files);
    assert.deepEqual(
      bad.map((v) => `${v.file} → ${v.imports}: ${v.why}`),
      [],
    );
  });

  test("every folder of src/ is in the layer table", () => {
    const folders = readdirSync(SRC).filter((n) => statSync(join(SRC, n)).isDirectory());
    for (const f of folders) assert.ok(LAYERS[f], `src/${f}/ has no row in the layer table`);
  });

  test("the check finds upward, sideways and test-support imports", () => {
    const planted: SourceFile[] = [
      { path: "cni/x.ts", text: 'import { Rtnl } from "../kernel/index.js";' },
      { path: "kernel/y.ts", text: 'import type { Store } from "../store/index.js";' },
      { path: "server/z.ts", text: 'export { directHandlers } from "../plugin/direct-handlers.js";' },
      { path: "network/w.ts", text: 'const m = await import("../manager/index.js");' },
      { path: "manager/v.ts", text: 'import { MemoryStore } from "../network/testing/fakes.js";' },
      {
        path: "ipam/u.ts",
        text: 'import { Allocator } from "./allocator.js";\nimport { SqliteStore } from "../store/index.js";',
      },
    ];
    const found = layerViolations(planted).map((v) => `${v.file}: ${v.why}`);
    assert.deepEqual(found, [
      "cni/x.ts: cni/ may not import kernel/ (arrows point down)",
      "kernel/y.ts: kernel/ may not import store/ (arrows point down)",
      "server/z.ts: server/ may not import plugin/ (arrows point down)",
      "network/w.ts: network/ may not import manager/ (arrows point down)",
      "manager/v.ts: product code imports test support",
    ]);
  });

  test("importsOf reads static, re-export and dynamic imports, and ignores packages", () => {
    const text = [
      'import { a } from "./a.js";',
      'import type { B } from "../b/index.js";',
      'export * from "./c.js";',
      'export { d } from "./d.js";',
      'const e = await import("./e.js");',
      'import { z } from "zod";',
      'import "./side-effect.js";',
    ].join("\n");
    assert.deepEqual(importsOf(text), ["./a.js", "../b/index.js", "./c.js", "./d.js", "./e.js", "./side-effect.js"]);
  });
});
