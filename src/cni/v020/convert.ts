// Converters owned by the 0.1.0/0.2.0 shape: between its two versions only the version changes.
// Up- and down-conversion to newer shapes is registered by those shapes (v040/, v100/).
import type { ConverterRegistry } from "../convert.js";
import { copyResultV020, type ResultV020, V020_VERSIONS, type V020Version } from "./types.js";

export function registerV020Converters(registry: ConverterRegistry): void {
  for (const from of V020_VERSIONS) {
    const to = V020_VERSIONS.filter((v) => v !== from);
    registry.register(from, to, (r, version) => copyResultV020(r as ResultV020, version as V020Version));
  }
}
