// Test support for the store: an in-memory Store and the contract suite every Store must pass
// (host-local's backend/testing). Not part of the package entry.
export { runStoreContract } from "./contract-suite.js";
export { MemoryStore } from "./memory-store.js";
