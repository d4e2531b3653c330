// The result conversion registry (libcni pkg/types/internal/convert.go): a table of
// (from, to[]) → fn. Each result folder registers its converters through an explicit call
// (no import side effects); a pair can be registered once. Old versions reach 1.x through 0.4.0,
// so converters may call back into the registry they are given.
import { CniError, CODE_INCOMPATIBLE_CNI_VERSION } from "./errors.js";
import { registerV020Converters } from "./v020/convert.js";
import { copyResultV020, isV020Version, type ResultV020 } from "./v020/types.js";
import { registerV040Converters } from "./v040/convert.js";
import { copyResultV040, isV040Version, type ResultV040 } from "./v040/types.js";
import { registerV100Converters } from "./v100/convert.js";
import { copyResultV100, type ResultV100 } from "./v100/types.js";
import type { CniVersion } from "./version.js";

/** A result of any supported version, discriminated by `cniVersion`. */
export type AnyResult = ResultV020 | ResultV040 | ResultV100;

/**
 * Converts `from` (whose cniVersion is the registered from-version) to `to`. Must return a deep
 * copy: callers may mutate the output, and the input must stay untouched.
 */
export type ConvertFn = (from: AnyResult, to: CniVersion, registry: ConverterRegistry) => AnyResult;

interface Converter {
  from: CniVersion;
  to: readonly CniVersion[];
  fn: ConvertFn;
}

/** A deep copy of `r` in canonical form (same version). */
export function cloneResult(r: AnyResult): AnyResult {
  if (isV020Version(r.cniVersion)) return copyResultV020(r as ResultV020, r.cniVersion);
  if (isV040Version(r.cniVersion)) return copyResultV040(r as ResultV040, r.cniVersion);
  return copyResultV100(r as ResultV100, r.cniVersion);
}

export class ConverterRegistry {
  readonly #converters: Converter[] = [];

  /**
   * Adds a converter for `from` → each of `to`.
   * @throws Error when any (from, to) pair is already registered, or when from is in `to`.
   */
  register(from: CniVersion, to: readonly CniVersion[], fn: ConvertFn): void {
    for (const v of to) {
      if (v === from) throw new Error(`converter ${from} -> ${v}: same-version conversion is built in`);
      if (this.find(from, v)) throw new Error(`converter already registered for ${from} -> ${v}`);
    }
    this.#converters.push({ from, to: [...to], fn });
  }

  /** The converter for exactly (from, to), if registered. */
  find(from: string, to: string): ConvertFn | undefined {
    return this.#converters.find((c) => c.from === from && c.to.includes(to as CniVersion))?.fn;
  }

  /** Every registered (from, to) pair, for tests and diagnostics. */
  pairs(): [CniVersion, CniVersion][] {
    return this.#converters.flatMap((c) => c.to.map((t): [CniVersion, CniVersion] => [c.from, t]));
  }

  /**
   * Converts a result to version `to`; same version = a deep copy. The input is never mutated.
   * @throws CniError(CODE_INCOMPATIBLE_CNI_VERSION) when no converter exists for the pair.
   * @throws CniError from the converter (e.g. "no valid IP addresses" going down to 0.2.0).
   */
  convert(result: AnyResult, to: string): AnyResult {
    const target = to === "" ? "0.1.0" : to;
    if (result.cniVersion === target) return cloneResult(result);
    const fn = this.find(result.cniVersion, target);
    if (!fn) {
      throw new CniError(
        CODE_INCOMPATIBLE_CNI_VERSION,
        `no converter for CNI result version ${result.cniVersion} to ${target}`,
      );
    }
    return fn(result, target as CniVersion, this);
  }
}

/** A registry holding every converter between the seven supported versions. */
export function createConverterRegistry(): ConverterRegistry {
  const registry = new ConverterRegistry();
  registerV020Converters(registry);
  registerV040Converters(registry);
  registerV100Converters(registry);
  return registry;
}

const defaultRegistry = createConverterRegistry();

/** Converts with the full default registry. @throws as ConverterRegistry.convert. */
export function convertResult(result: AnyResult, to: string): AnyResult {
  return defaultRegistry.convert(result, to);
}
