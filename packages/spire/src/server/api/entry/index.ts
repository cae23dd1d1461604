export { type AuthorizedEntriesMethods, createEntryService } from './service.js';
