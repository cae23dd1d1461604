export {
  type AuthorityStatus,
  activateAtMs,
  CaError,
  type JwtAuthority,
  prepareAtMs,
  type Slot,
  type X509Authority,
} from './authority.js';
export { type CaJournalStore, FileCaJournalStore, MemoryCaJournalStore } from './journal.js';
export { type CaBundle, CaManager, type CaManagerOptions, type SignedX509Svid } from './manager.js';
