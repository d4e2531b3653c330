export type { ReconcileReport } from "../manager/index.js";
export { CniServer, type CniServerOptions, type ServerStatus } from "./cni-server.js";
export { DEFAULT_MAX_BODY, HttpApi, type HttpApiOptions } from "./http-api.js";
export { createLogger, silentLogger } from "./logger.js";
export { DaemonMetrics, type EventLoopDelay } from "./metrics.js";
export {
  type CniAnswer,
  type CniWireRequest,
  HEADER_EXIT,
  HEADER_STDOUT_LENGTH,
  parseWireRequest,
  SCHEMA_VERSION,
} from "./protocol.js";
export { QueueFullError, Scheduler, SchedulerClosedError, type SchedulerOptions } from "./scheduler.js";
