// One Docker plugin call → one answer: the handler of the method, or Docker's error shape for the
// method's protocol ({"Err":…} for the network driver and the handshake, {"Error":…} for IPAM).
import { DockerError, type DriverContext } from "./context.js";
import { type Handler, ipamHandlers } from "./ipam-handlers.js";
import { networkHandlers } from "./network-handlers.js";

export interface DockerAnswer {
  status: number;
  body: object;
}

const handlers: Record<string, Handler> = {
  "Plugin.Activate": async () => ({ Implements: ["NetworkDriver", "IpamDriver"] }),
  ...networkHandlers,
  ...ipamHandlers,
};

export const METHODS: readonly string[] = Object.keys(handlers);

/** The error body Docker reads for this method. */
export function errorBody(method: string, message: string): object {
  return method.startsWith("IpamDriver.") ? { Error: message } : { Err: message };
}

export async function dispatch(ctx: DriverContext, method: string, body: unknown): Promise<DockerAnswer> {
  const handler = handlers[method];
  if (!handler) return { status: 404, body: errorBody(method, `quantum does not implement ${method}`) };
  try {
    return { status: 200, body: await handler(ctx, body) };
  } catch (err) {
    if (err instanceof DockerError) return { status: err.status, body: errorBody(method, err.message) };
    // Not one of ours: still Docker's shape, with what failed, so `docker` shows it.
    return { status: 500, body: errorBody(method, `quantum ${method}: ${(err as Error).message}`) };
  }
}
