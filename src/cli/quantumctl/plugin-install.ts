// Installs the plugin executables into a CNI plugin directory. bin/quantum (the C shim, a static
// executable of its own) is copied; the Node parts (bin/quantum-direct, which runs dist/, and
// bin/quantumd, which the shim starts when no daemon answers) get a small wrapper that execs them in
// this package, so the copy keeps working without copying node_modules. The shim finds both next
// to itself.
// Files not written by quantum-cni are never replaced unless forced.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeFileAtomic } from "../../manager/config-files.js";
import { CliError } from "./context.js";

/** This package's bin/ (dist/src/cli/quantumctl/ → ../../../../bin). */
export const PACKAGE_BIN = fileURLToPath(new URL("../../../../bin", import.meta.url));

const WRAPPER_MARK = "# quantum-cni plugin wrapper";
/** Text every build of the shim contains (its error messages). */
const SHIM_MARK = "quantum shim:";

export interface InstalledPlugin {
  name: string;
  path: string;
  /** "copy" of the executable, or a "wrapper" script exec'ing it in this package. */
  kind: "copy" | "wrapper";
  source: string;
}

export interface InstallPluginsOptions {
  force?: boolean;
  /** Where the executables come from (default this package's bin/). */
  binDir?: string;
}

/** @throws CliError when a target exists and is not ours (nothing is written then). */
export function installPlugins(dir: string, options: InstallPluginsOptions = {}): InstalledPlugin[] {
  const bin = options.binDir ?? PACKAGE_BIN;
  const plan: { name: string; source: string; content: Buffer; kind: InstalledPlugin["kind"] }[] = [];
  for (const name of ["quantum", "quantum-direct", "quantumd"]) {
    const source = join(bin, name);
    if (!existsSync(source)) {
      if (name === "quantum") throw new CliError(`${source} does not exist: build the package first`);
      continue;
    }
    const bytes = readFileSync(source);
    const elf = bytes.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    plan.push(
      elf
        ? { name, source, content: bytes, kind: "copy" }
        : { name, source, content: Buffer.from(wrapper(source)), kind: "wrapper" },
    );
  }
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  for (const p of plan) {
    const target = join(dir, p.name);
    if (!options.force && existsSync(target) && !isOurs(target)) {
      throw new CliError(`refusing to replace ${target}: not written by quantum-cni (use --force)`);
    }
  }
  return plan.map((p) => {
    const path = join(dir, p.name);
    writeFileAtomic(path, p.content, 0o755);
    return { name: p.name, path, kind: p.kind, source: p.source };
  });
}

function wrapper(source: string): string {
  const quoted = `'${source.replaceAll("'", `'\\''`)}'`;
  return `#!/bin/sh\n${WRAPPER_MARK} (written by quantumctl plugin install)\nunset NODE_EXTRA_CA_CERTS\nexec ${quoted} "$@"\n`;
}

function isOurs(path: string): boolean {
  try {
    const text = readFileSync(path).toString("latin1");
    return text.includes(WRAPPER_MARK) || text.includes(SHIM_MARK);
  } catch {
    return false;
  }
}
