// A call Docker was told had failed (its deadline passed) may still succeed afterwards in the
// worker. Docker then believes the pool, address, network or endpoint does not exist and will
// never release it, so the late success is undone with the call Docker would have made.
import type { DockerAnswer } from "./dispatch.js";

export interface Undo {
  method: string;
  body: object;
}

type Request = Record<string, unknown> | null | undefined;

const UNDO: Record<string, (req: Request, answer: Record<string, unknown>) => Undo | undefined> = {
  "IpamDriver.RequestPool": (_req, a) =>
    typeof a["PoolID"] === "string" ? { method: "IpamDriver.ReleasePool", body: { PoolID: a["PoolID"] } } : undefined,
  "IpamDriver.RequestAddress": (req, a) =>
    typeof a["Address"] === "string" && typeof req?.["PoolID"] === "string"
      ? { method: "IpamDriver.ReleaseAddress", body: { PoolID: req["PoolID"], Address: a["Address"] } }
      : undefined,
  "NetworkDriver.CreateNetwork": (req) =>
    typeof req?.["NetworkID"] === "string"
      ? { method: "NetworkDriver.DeleteNetwork", body: { NetworkID: req["NetworkID"] } }
      : undefined,
  "NetworkDriver.CreateEndpoint": (req) =>
    typeof req?.["NetworkID"] === "string" && typeof req["EndpointID"] === "string"
      ? { method: "NetworkDriver.DeleteEndpoint", body: { NetworkID: req["NetworkID"], EndpointID: req["EndpointID"] } }
      : undefined,
};

/** The call that undoes a late success of method, or undefined when there is nothing to undo. */
export function undoOf(method: string, request: unknown, answer: DockerAnswer): Undo | undefined {
  if (answer.status !== 200) return undefined;
  const body = answer.body as Record<string, unknown>;
  if (typeof body["Err"] === "string" || typeof body["Error"] === "string") return undefined;
  return UNDO[method]?.(request as Request, body);
}
