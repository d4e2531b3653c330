// Turns zod issues into CNI messages that name the field and the offending value, e.g.
// `invalid config field "subnet": "10.0.0.0/33" is not a CIDR`. Reasons come from the schemas'
// custom messages ("is not a CIDR") or are derived from zod's issue codes.
import type { ZodError, ZodIssue } from "zod";

/** "routes[0].dst" from ["routes", 0, "dst"]. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? p : `.${p}`;
  }
  return out;
}

/** The value at `path` inside `root`, or undefined. */
export function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let cur: unknown = root;
  for (const p of path) {
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

/** JSON text of a value, shortened so one message stays one readable line. */
export function showValue(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

/** The reason part of a message ("must be a string"), without field or value. */
function reason(issue: ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return `must be ${article(issue.expected)}`;
    case "invalid_enum_value":
      return `must be one of ${issue.options.map((o) => JSON.stringify(o)).join(", ")}`;
    case "invalid_literal":
      return `must be ${JSON.stringify(issue.expected)}`;
    case "too_small":
      if (issue.type === "array") return `must have at least ${issue.minimum} item(s)`;
      if (issue.type === "string") return `must have at least ${issue.minimum} character(s)`;
      return `must be at least ${issue.minimum}`;
    case "too_big":
      if (issue.type === "array") return `must have at most ${issue.maximum} item(s)`;
      if (issue.type === "string") return `must have at most ${issue.maximum} character(s)`;
      return `must be at most ${issue.maximum}`;
    case "not_multiple_of":
      return `must be a multiple of ${issue.multipleOf}`;
    default:
      return issue.message;
  }
}

/**
 * One message for one issue: `invalid <what> "<path>": <value> <reason>`, or
 * `missing <what> "<path>"` when a required field is absent.
 * @param what e.g. "config field" or "result field"
 * @param prefix path segments prepended to the issue path (e.g. ["prevResult"])
 */
export function describeIssue(
  issue: ZodIssue,
  root: unknown,
  what: string,
  prefix: readonly (string | number)[] = [],
): string {
  const value = valueAt(root, issue.path);
  const field = formatPath([...prefix, ...issue.path]);
  if (issue.code === "invalid_type" && issue.received === "undefined") return `missing ${what} "${field}"`;
  if (field === "") return `invalid ${what.replace(/ field$/, "")}: ${showValue(value)} ${reason(issue)}`;
  return `invalid ${what} "${field}": ${showValue(value)} ${reason(issue)}`;
}

/** All issues of a ZodError, joined with "; " (usually there is one). */
export function describeZodError(
  err: ZodError,
  root: unknown,
  what: string,
  prefix: readonly (string | number)[] = [],
): string {
  return err.issues.map((i) => describeIssue(i, root, what, prefix)).join("; ");
}
