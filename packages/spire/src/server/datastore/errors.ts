import { SpiffeError } from '@spire-ts/spiffe';

/** Stable codes of datastore errors. */
export const DataStoreErrorCode = {
  /** The record asked for does not exist. */
  NotFound: 'ERR_DATASTORE_NOT_FOUND',
  /** A record with the same key (or a similar entry) exists. */
  AlreadyExists: 'ERR_DATASTORE_ALREADY_EXISTS',
  /** An argument breaks a rule of the store (empty key, bad page token, ...). */
  InvalidArgument: 'ERR_DATASTORE_INVALID_ARGUMENT',
  /** A bundle is still referenced by entries and the delete mode is `restrict`. */
  BundleInUse: 'ERR_DATASTORE_BUNDLE_IN_USE',
  /** An entry federates with a trust domain that has no bundle. */
  FederatedBundleNotFound: 'ERR_DATASTORE_FEDERATED_BUNDLE_NOT_FOUND',
  /** Pruning would leave a bundle without any X.509 authority. */
  BundlePruneAll: 'ERR_DATASTORE_BUNDLE_PRUNE_ALL',
  /** The plugin configuration or connection string is wrong. */
  Config: 'ERR_DATASTORE_CONFIG',
  /** The schema is newer than this code, or migrations are disabled and needed. */
  SchemaVersion: 'ERR_DATASTORE_SCHEMA_VERSION',
  /** The database failed a query. */
  Query: 'ERR_DATASTORE_QUERY',
} as const;

/** One of the stable datastore error codes. */
export type DataStoreErrorCode = (typeof DataStoreErrorCode)[keyof typeof DataStoreErrorCode];

/** A failure of the SQL datastore, with a stable `ERR_DATASTORE_*` code. */
export class DataStoreError extends SpiffeError {
  declare readonly code: DataStoreErrorCode;

  constructor(code: DataStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Shorthand for a not-found error naming the kind of record and its key. */
export function notFound(kind: string, key: string | number): DataStoreError {
  return new DataStoreError(
    DataStoreErrorCode.NotFound,
    `${kind} ${JSON.stringify(key)} not found`,
  );
}
