import { runStoreContract } from "./contract_suite.js";
import { MemoryStore } from "./memory_store.js";

runStoreContract("MemoryStore", () => {
  const store = new MemoryStore();
  return { store, dispose: () => store.close() };
});
