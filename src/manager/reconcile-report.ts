// What a reconcile pass reports, for the daemon's event-loop thread: types and names only, so
// importing it loads no kernel code.
export { REPAIR_KINDS, type ReconcileReport, type RepairKind } from "../network/reconcile-report.js";
