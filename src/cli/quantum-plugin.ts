// Entry point of bin/quantum in direct mode: the CNI protocol (cniMain) over the in-process
// handlers. Kept to wiring only so start-up stays cheap.

import { runCniMain } from "../plugin/cni-main.js";
import { directHandlers } from "../plugin/direct-handlers.js";

await runCniMain(directHandlers, { about: "quantum: Quantum CNI plugin (direct mode)" });
