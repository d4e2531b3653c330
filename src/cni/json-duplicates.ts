// Duplicate object keys in JSON text. JSON.parse keeps the last one silently, but the C shim
// reads `socketPath` from the same text by its own scan, and a human reading the file sees the
// first: one config must mean one thing to every reader, so a duplicate key is refused.

/**
 * The path of the first duplicate key ("ipam.type"), or undefined. Expects text JSON.parse
 * accepted (call after it), so it only tracks strings, objects and arrays.
 */
export function findDuplicateKey(text: string): string | undefined {
  /** One open container: the keys seen (objects only) and the path to it. */
  const stack: { keys: Set<string> | undefined; path: string; expectKey: boolean }[] = [];
  let lastKey = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        const path = top.path ? `${top.path}.${key}` : key;
        if (top.keys.has(key)) return path;
        top.keys.add(key);
        top.expectKey = false;
        lastKey = path;
      }
      i = j;
    } else if (c === "{" || c === "[") {
      const parent = stack[stack.length - 1];
      const path = parent?.keys ? lastKey : (parent?.path ?? "");
      stack.push({ keys: c === "{" ? new Set() : undefined, path, expectKey: c === "{" });
    } else if (c === "}" || c === "]") {
      stack.pop();
    } else if (c === ",") {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
    }
  }
  return undefined;
}
