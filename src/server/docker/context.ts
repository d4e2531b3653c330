// What every Docker handler works with: the dataplane adapter, the persisted state, and the
// errors Docker shows to the user.
import { randomBytes } from "node:crypto";
import type { z } from "zod";
import type { DockerDataplane } from "../../manager/index.js";
import { type DockerState, loadState, saveState, stateKey } from "./state.js";

export interface DriverContext {
  dp: DockerDataplane;
  /** The driver name Docker knows us by (the socket's basename). */
  driverName: string;
}

/**
 * An answer Docker shows as the command's error: `{"Err":…}` or `{"Error":…}` by protocol, with
 * status 200. Docker's plugin client reads the protocol's error field only from a 200 answer; from
 * any other status it looks for "Err" alone and otherwise prints the raw body, so an IPAM error
 * sent as a 4xx would reach the user as JSON.
 */
export class DockerError extends Error {
  readonly status = 200;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DockerError";
  }
}

/** Validates a request body. @throws DockerError naming the method and the first bad field. */
export function parseBody<S extends z.ZodTypeAny>(method: string, schema: S, body: unknown): z.infer<S> {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue?.path.length ? issue.path.join(".") : "body";
  throw new DockerError(`${method}: invalid request: ${where}: ${issue?.message ?? "invalid"}`);
}

/** Runs fn on the state inside one store transaction and saves what it changed. */
export function withState<T>(ctx: DriverContext, fn: (s: DockerState) => T): T {
  const key = stateKey(ctx.driverName);
  return ctx.dp.transaction(() => {
    const s = loadState(ctx.dp.store, key);
    const out = fn(s);
    saveState(ctx.dp.store, key, s);
    return out;
  });
}

export function readState(ctx: DriverContext): DockerState {
  return loadState(ctx.dp.store, stateKey(ctx.driverName));
}

/** A fresh holder key for one address Docker asked for. */
export function holderKey(kind: "addr" | "aux"): string {
  return `docker-${kind}-${randomBytes(6).toString("hex")}`;
}

export function short(id: string): string {
  return id.slice(0, 12);
}
