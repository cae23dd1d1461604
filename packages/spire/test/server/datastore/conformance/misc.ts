import { describe, expect, it } from 'vitest';
import type { Bundle, DataStore } from '../../../../src/server/datastore/index.js';
import type { Backend } from '../support/backends.js';
import { codeOf } from '../support/errors.js';
import { T0, useStore } from '../support/harness.js';

const TAKERS = 20;

function bundle(trustDomain: string): Bundle {
  return {
    trustDomain,
    x509Authorities: [],
    jwtAuthorities: [],
    refreshHint: 0,
    sequenceNumber: 3,
  };
}

/** Join tokens, federation relationships and the CA journal on every backend. */
export function miscConformance(backend: Backend): void {
  describe(`join tokens (${backend.name})`, () => {
    const fx = useStore(backend);

    it('creates, fetches, deletes and prunes tokens', async () => {
      await fx.store.createJoinToken({ token: 't1', expiresAt: T0 - 1 });
      await fx.store.createJoinToken({ token: 't2', expiresAt: T0 + 600 });
      expect(await codeOf(fx.store.createJoinToken({ token: 't1', expiresAt: 0 }))).toBe(
        'ERR_DATASTORE_ALREADY_EXISTS',
      );
      expect(await fx.store.fetchJoinToken('t2')).toEqual({ token: 't2', expiresAt: T0 + 600 });
      expect(await fx.store.pruneJoinTokens(T0)).toBe(1);
      expect(await fx.store.fetchJoinToken('t1')).toBeUndefined();
      await fx.store.deleteJoinToken('t2');
      expect(await codeOf(fx.store.deleteJoinToken('t2'))).toBe('ERR_DATASTORE_NOT_FOUND');
    });

    it(`lets exactly one of ${TAKERS} concurrent takers consume a token`, async () => {
      // better-sqlite3 is synchronous: two SQLite stores in one process would block each other,
      // so SQLite's takers share one store; the other engines use two stores (two "servers").
      const stores: DataStore[] =
        backend.name === 'sqlite3' ? [fx.store] : [fx.store, await fx.openAnother()];
      await fx.store.createJoinToken({ token: 'once', expiresAt: T0 + 600 });
      const results = await Promise.all(
        Array.from({ length: TAKERS }, (_, i) => stores[i % stores.length]!.takeJoinToken('once')),
      );
      expect(results.filter((r) => r !== undefined)).toEqual([
        { token: 'once', expiresAt: T0 + 600 },
      ]);
      expect(await fx.store.fetchJoinToken('once')).toBeUndefined();
      expect(await fx.store.takeJoinToken('once')).toBeUndefined();
    });
  });

  describe(`federation relationships (${backend.name})`, () => {
    const fx = useStore(backend);
    const web = {
      trustDomain: 'web.org',
      bundleEndpointUrl: 'https://web.org/b',
      profile: { type: 'https_web' as const },
    };
    const spiffe = {
      trustDomain: 'sp.org',
      bundleEndpointUrl: 'https://sp.org:8443',
      profile: { type: 'https_spiffe' as const, endpointSpiffeId: 'spiffe://sp.org/spire/server' },
      trustDomainBundle: bundle('sp.org'),
    };

    it('creates relationships (storing a given bundle), fetches, lists and deletes them', async () => {
      await fx.store.createFederationRelationship(web);
      await fx.store.createFederationRelationship(spiffe);
      expect(await fx.store.fetchFederationRelationship('sp.org')).toEqual(spiffe);
      expect(await fx.store.fetchBundle('sp.org')).toEqual(bundle('sp.org'));
      expect(await codeOf(fx.store.createFederationRelationship(web))).toBe(
        'ERR_DATASTORE_ALREADY_EXISTS',
      );
      const p1 = await fx.store.listFederationRelationships({ pageSize: 1 });
      const p2 = await fx.store.listFederationRelationships({
        pageSize: 1,
        pageToken: p1.nextPageToken,
      });
      expect([...p1.items, ...p2.items]).toEqual([web, spiffe]);
      await fx.store.deleteFederationRelationship('sp.org');
      expect(await fx.store.fetchFederationRelationship('sp.org')).toBeUndefined();
      expect(await fx.store.countBundles()).toBe(1);
      expect(await codeOf(fx.store.deleteFederationRelationship('sp.org'))).toBe(
        'ERR_DATASTORE_NOT_FOUND',
      );
    });

    it('updates only the masked fields of a relationship', async () => {
      await fx.store.createFederationRelationship(web);
      const changed = { ...spiffe, trustDomain: 'web.org', trustDomainBundle: bundle('web.org') };
      const u = await fx.store.updateFederationRelationship(changed, { profile: true });
      expect(u).toEqual({ ...web, profile: spiffe.profile });
      const all = await fx.store.updateFederationRelationship(changed);
      expect(all).toEqual(changed);
    });
  });

  describe(`ca journal (${backend.name})`, () => {
    const fx = useStore(backend);

    it('creates, replaces, fetches by active authority, lists and deletes journals', async () => {
      const j = await fx.store.setCaJournal({
        id: 0,
        data: new Uint8Array([1, 2]),
        activeX509AuthorityId: 'skid-a',
        activeJwtAuthorityId: 'kid-a',
      });
      expect(j.id).toBeGreaterThan(0);
      const j2 = { ...j, data: new Uint8Array([3]), activeX509AuthorityId: 'skid-b' };
      await fx.store.setCaJournal(j2);
      expect(await fx.store.fetchCaJournal('skid-b')).toEqual(j2);
      expect(await fx.store.fetchCaJournal('skid-a')).toBeUndefined();
      expect(await fx.store.listCaJournals()).toEqual([j2]);
      await fx.store.deleteCaJournal(j.id);
      expect(await codeOf(fx.store.deleteCaJournal(j.id))).toBe('ERR_DATASTORE_NOT_FOUND');
      expect(await codeOf(fx.store.setCaJournal(j2))).toBe('ERR_DATASTORE_NOT_FOUND');
    });
  });
}
