/**
 * Shared machine paths that container runtimes write and that cannot be redirected
 * (/var/lib/cni/results, /run/runc, /var/lib/containers/cache, ...). A test records what existed
 * before it started and, afterwards, removes only what it created: named entries it made, and
 * directories that did not exist before once they are empty (so two test files at once never
 * remove each other's state).
 */
import { existsSync, readdirSync, rmdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";

export class MachineState {
  /** The directories that existed before, by path. */
  readonly #existed = new Map<string, boolean>();
  /** Entries the test created (files or dirs), removed by cleanup. */
  readonly #entries = new Set<string>();

  /** Files with fixed names a runtime creates: removed afterwards unless they existed before. */
  readonly #newFiles: string[];

  /**
   * Remembers whether each directory (and its parents up to `/`) and each file existed.
   * @param dirs directories the runtime may create
   * @param files fixed-name files the runtime may create (e.g. a cache database)
   */
  constructor(
    readonly dirs: string[],
    files: string[] = [],
  ) {
    this.#newFiles = files.filter((f) => !existsSync(f));
    for (const d of dirs) {
      for (let p = d; p !== "/" && p !== "."; p = dirname(p)) {
        if (!this.#existed.has(p)) this.#existed.set(p, existsSync(p));
      }
    }
  }

  /** Marks `dir/name` as created by the test (removed recursively by cleanup). */
  created(dir: string, name: string): void {
    this.#entries.add(join(dir, name));
  }

  /** Entries of `dir` whose name includes `needle` (what a test left there). */
  static entries(dir: string, needle: string): string[] {
    try {
      return readdirSync(dir).filter((n) => n.includes(needle));
    } catch {
      return [];
    }
  }

  /**
   * Removes the entries the test created, then every directory that did not exist before and is
   * empty now, deepest first. Returns what it removed (for the report of a failed test).
   */
  cleanup(): string[] {
    const removed: string[] = [];
    for (const e of this.#entries) {
      if (existsSync(e)) {
        rmSync(e, { recursive: true, force: true });
        removed.push(e);
      }
    }
    this.#entries.clear();
    for (const f of this.#newFiles) {
      if (existsSync(f)) {
        rmSync(f, { force: true });
        removed.push(f);
      }
    }
    const fresh = [...this.#existed].filter(([, existed]) => !existed).map(([p]) => p);
    fresh.sort((a, b) => b.length - a.length);
    for (const p of fresh) {
      try {
        rmdirSync(p);
        removed.push(p);
      } catch {
        // missing, or not empty (someone else's entries): leave it
      }
    }
    return removed;
  }
}
