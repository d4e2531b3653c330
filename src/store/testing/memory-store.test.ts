import { runStoreContract } from "./contract-suite.js";
import { MemoryStore } from "./memory-store.js";

runStoreContract("MemoryStore", () => {
  const store = new MemoryStore();
  return { store, dispose: () => store.close() };
});
