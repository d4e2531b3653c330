export { classifyStoreError, StoreDamagedError, StoreFullError } from "./errors.js";
export {
  MemoryRegistryStore,
  REGISTRY_FILE_NAME,
  type RegistryEntry,
  type RegistryStore,
  SqliteRegistryStore,
} from "./registry-store.js";
export { MIGRATIONS, type Migration, migrate, SCHEMA_VERSION } from "./schema.js";
export { countAttachmentsAt, DB_FILE_NAME, SqliteStore, type SqliteStoreOptions } from "./sqlite-store.js";
export type {
  AllocatorStore,
  Attachment,
  AttachmentInput,
  AttachmentStore,
  MetaStore,
  NetworkInput,
  NetworkRecord,
  NetworkStore,
  PendingDeletionStore,
  PendingLinkDeletion,
  PendingLinkDeletionInput,
  PodIdentity,
  Reservation,
  Store,
} from "./types.js";
