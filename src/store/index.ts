export { MIGRATIONS, type Migration, migrate, SCHEMA_VERSION } from "./schema.js";
export { DB_FILE_NAME, SqliteStore, type SqliteStoreOptions } from "./sqlite-store.js";
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
