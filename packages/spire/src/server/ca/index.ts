export {
  type AuthorityStatus,
  activateAtMs,
  authorityIdOf,
  CaError,
  type JwtAuthority,
  prepareAtMs,
  type Slot,
  type X509Authority,
} from './authority.js';
export {
  type CaJournalIndex,
  type CaJournalRows,
  type CaJournalStore,
  DatastoreCaJournalStore,
  type DatastoreCaJournalStoreOptions,
  type LoadedCaJournal,
  MemoryCaJournalStore,
} from './journal.js';
export { type CaBundle, CaManager, type CaManagerOptions, type SignedX509Svid } from './manager.js';
