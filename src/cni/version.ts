// CNI spec versions: the seven we speak, comparison, the VERSION answer, the per-verb version gates
// of skel and libcni's conflist version choice (cni-spec.md §2, §3, §4).
import { CniError, CODE_DECODING_FAILURE, CODE_INCOMPATIBLE_CNI_VERSION } from "./errors.js";
import type { CniCommand } from "./types.js";

/** Every version this plugin reads and writes, oldest first. */
export const SUPPORTED_VERSIONS = ["0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"] as const;
export type CniVersion = (typeof SUPPORTED_VERSIONS)[number];

/** The newest version: skel's VERSION answer always carries it. */
export const CURRENT_VERSION: CniVersion = "1.1.0";
/** A config or result without `cniVersion` is read as this version. */
export const DEFAULT_VERSION: CniVersion = "0.1.0";

export function isSupportedVersion(v: unknown): v is CniVersion {
  return typeof v === "string" && (SUPPORTED_VERSIONS as readonly string[]).includes(v);
}

/**
 * Parses "X", "X.Y" or "X.Y.Z" as Go's version.ParseVersion does; "" means 0.1.0.
 * @throws CniError(CODE_DECODING_FAILURE) naming the bad version string.
 */
export function parseVersion(v: string): [number, number, number] {
  if (v === "") return [0, 1, 0];
  const parts = v.split(".");
  if (parts.length > 3) throw new CniError(CODE_DECODING_FAILURE, `invalid version "${v}": too many parts`);
  const nums = parts.map((p) => {
    if (!/^[+-]?\d+$/.test(p))
      throw new CniError(CODE_DECODING_FAILURE, `invalid version "${v}": "${p}" is not a number`);
    return Number.parseInt(p, 10);
  });
  return [nums[0] ?? 0, nums[1] ?? 0, nums[2] ?? 0];
}

/** <0, 0 or >0 as version a is lower than, equal to or higher than b. @throws as parseVersion. */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function versionAtLeast(v: string, min: string): boolean {
  return compareVersions(v, min) >= 0;
}

/** The VERSION answer; skel always reports the current version, whatever stdin said. */
export function versionInfo(): { cniVersion: string; supportedVersions: string[] } {
  return { cniVersion: CURRENT_VERSION, supportedVersions: [...SUPPORTED_VERSIONS] };
}

/**
 * Checks that the config's version is one we speak.
 * @throws CniError(CODE_INCOMPATIBLE_CNI_VERSION) with skel's message and details.
 */
export function requireSupportedVersion(v: string): CniVersion {
  if (isSupportedVersion(v)) return v;
  throw new CniError(
    CODE_INCOMPATIBLE_CNI_VERSION,
    "incompatible CNI versions",
    `config is "${v}", plugin supports [${SUPPORTED_VERSIONS.join(" ")}]`,
  );
}

/** The lowest config version at which each verb exists (skel's gates); absent = no gate. */
const COMMAND_MIN_VERSION: Partial<Record<CniCommand, string>> = {
  CHECK: "0.4.0",
  GC: "1.1.0",
  STATUS: "1.1.0",
};

/**
 * skel's per-verb gate: CHECK needs ≥0.4.0, GC and STATUS need ≥1.1.0 → else code 1.
 * A version newer than every supported one also gets code 1 ("plugin version does not allow").
 * @throws CniError(CODE_DECODING_FAILURE) for an unparseable version string.
 */
export function checkCommandVersion(command: CniCommand, configVersion: string): void {
  const min = COMMAND_MIN_VERSION[command];
  if (min === undefined) return;
  if (!versionAtLeast(configVersion, min)) {
    throw new CniError(CODE_INCOMPATIBLE_CNI_VERSION, `config version does not allow ${command}`);
  }
  if (!versionAtLeast(CURRENT_VERSION, configVersion)) {
    throw new CniError(CODE_INCOMPATIBLE_CNI_VERSION, `plugin version does not allow ${command}`);
  }
}

/**
 * libcni's conflist version choice: the highest of {cniVersion} ∪ cniVersions, where entries above
 * the current version are ignored (a lone `cniVersion` is taken as is). Missing everything → 0.1.0.
 * @throws CniError(CODE_DECODING_FAILURE) for an unparseable entry.
 */
export function chooseConfListVersion(cniVersion: string | undefined, cniVersions: string[] | undefined): string {
  if (cniVersions === undefined) return cniVersion || DEFAULT_VERSION;
  const candidates = cniVersions.filter((v) => !(compareVersions(v, CURRENT_VERSION) > 0));
  if (cniVersion && !(compareVersions(cniVersion, CURRENT_VERSION) > 0)) candidates.push(cniVersion);
  if (candidates.length === 0) return cniVersion || DEFAULT_VERSION;
  return candidates.reduce((best, v) => (compareVersions(v, best) > 0 ? v : best));
}
