// Go's encoding/json maps an object key to a struct field by exact name first, else by a
// case-insensitive match (bytes.EqualFold plus the two special folds of 'k' → U+212A KELVIN SIGN and
// 's' → U+017F LONG S). Programs that write JSON from Go structs without json tags (containerd's
// go-cni: `HostPort`, `ContainerPort`, `Servers`, ...) rely on that: the reference plugins read
// them. This module gives our readers the same tolerance: keys that fold to a known field name are
// renamed to it; keys that match nothing are kept as they are. Pure; no I/O.

/**
 * What a JSON value is expected to hold, for renaming keys: `fields` names a struct's fields (each
 * with the shape of its value), `items` the element shape of a list. A value of any other JSON type
 * is left alone (validation elsewhere reports it).
 */
export type GoShape = { fields: Record<string, GoShape | null> } | { items: GoShape };

/** Go's fold of one key to compare with: lower case, with Kelvin and long s mapped to k and s. */
export function goFoldKey(key: string): string {
  return key
    .replace(/\u212a/g, "k")
    .replace(/\u017f/g, "s")
    .toLowerCase();
}

/**
 * The field of `fields` that `key` decodes into, as Go picks it: the exact name, else the first
 * (in declaration order) whose fold matches; undefined when none does.
 */
export function goFieldFor(key: string, fields: readonly string[]): string | undefined {
  if (fields.includes(key)) return key;
  const folded = goFoldKey(key);
  return fields.find((f) => goFoldKey(f) === folded);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Returns a copy of `value` whose object keys are renamed to the field names of `shape`, recursively.
 * When several keys decode into one field, the last one in document order wins (as Go's decoder
 * overwrites the field once per key). Keys of no field are kept.
 */
export function foldGoKeys(value: unknown, shape: GoShape): unknown {
  if ("items" in shape) return Array.isArray(value) ? value.map((v) => foldGoKeys(v, shape.items)) : value;
  if (!isPlainObject(value)) return value;
  const names = Object.keys(shape.fields);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const field = goFieldFor(key, names);
    if (field === undefined) {
      out[key] = v;
      continue;
    }
    const inner = shape.fields[field];
    // Re-inserting moves the key to the end, so a later spelling wins and keeps document order.
    delete out[field];
    out[field] = inner ? foldGoKeys(v, inner) : v;
  }
  return out;
}
