// The cgroups a runtime test created under its own unique parent, in every hierarchy: what
// cleanup must empty (by pid) and remove, and what leftovers() reports.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const CGROUP_ROOT = "/sys/fs/cgroup";

/** The directories named `parent` (a path below each hierarchy's root) and below it, deepest first. */
export function cgroupDirs(parent: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch {
      return;
    }
    for (const n of names) walk(join(d, n));
    out.push(d);
  };
  let hierarchies: string[] = [];
  try {
    hierarchies = readdirSync(CGROUP_ROOT);
  } catch {
    // no cgroupfs
  }
  for (const h of hierarchies) {
    const top = join(CGROUP_ROOT, h, parent);
    if (existsSync(top)) walk(top);
  }
  return out;
}

/** Every pid in those cgroups. */
export function cgroupPids(parent: string): number[] {
  const pids = new Set<number>();
  for (const d of cgroupDirs(parent)) {
    try {
      for (const l of readFileSync(join(d, "cgroup.procs"), "utf8").split("\n")) if (l) pids.add(Number(l));
    } catch {
      // gone
    }
  }
  return [...pids];
}
