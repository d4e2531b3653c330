/**
 * What the runtime tests need, checked up front. A missing piece FAILS the test with the reason and
 * the fix (scripts/install-runtimes.sh, which scripts/setup.sh runs): these tests never skip silently.
 */
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { referenceDir } from "../helpers/cni-runner.js";

const FIX = "run `bash scripts/install-runtimes.sh` as root (scripts/setup.sh does)";

export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error("runtime tests need root (network and mount namespaces, runtimes)");
}

export function requireReferencePlugins(types: string[]): void {
  const missing = types.filter((t) => !isExecutable(join(referenceDir, t)));
  if (missing.length > 0) {
    throw new Error(`reference CNI plugins missing in ${referenceDir}: ${missing.join(", ")}; ${FIX}`);
  }
}

/** Every command must be on PATH (or an absolute executable path). */
export function requireCommands(cmds: string[]): void {
  const missing = cmds.filter((c) => (c.startsWith("/") ? !isExecutable(c) : !onPath(c)));
  if (missing.length > 0) throw new Error(`missing commands: ${missing.join(", ")}; ${FIX}`);
}

/** A static busybox (the image's only binary). */
export function requireStaticBusybox(): string {
  const path = "/bin/busybox";
  if (!existsSync(path)) throw new Error(`${path} missing; ${FIX}`);
  if (hasInterpreter(readFileSync(path))) throw new Error(`${path} is dynamically linked; ${FIX} (busybox-static)`);
  return path;
}

/** True when a 64-bit ELF has a PT_INTERP program header (a dynamic executable). */
function hasInterpreter(elf: Buffer): boolean {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2) throw new Error("not a 64-bit ELF file");
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) if (elf.readUInt32LE(phoff + i * phentsize) === 3) return true;
  return false;
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":").some((d) => isExecutable(join(d, cmd)));
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
