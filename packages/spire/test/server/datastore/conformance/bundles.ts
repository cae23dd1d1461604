import { beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, NewRegistrationEntry } from '../../../../src/server/datastore/index.js';
import type { Backend } from '../support/backends.js';
import { caCert } from '../support/certs.js';
import { codeOf } from '../support/errors.js';
import { T0, useStore } from '../support/harness.js';

const key = (keyId: string, expiresAt: number) => ({
  keyId,
  publicKey: new Uint8Array([1, 2, 3, keyId.length]),
  expiresAt,
  tainted: false,
});

function bundle(trustDomain: string, over: Partial<Bundle> = {}): Bundle {
  return {
    trustDomain,
    x509Authorities: [],
    jwtAuthorities: [],
    refreshHint: 300,
    sequenceNumber: 1,
    ...over,
  };
}

function fedEntry(id: string, federatesWith: string[]): NewRegistrationEntry {
  return {
    id,
    spiffeId: `spiffe://example.org/${id}`,
    parentId: 'spiffe://example.org/agent',
    selectors: [{ type: 'unix', value: 'uid:1' }],
    federatesWith,
  };
}

/** Bundle behaviour every backend must show. */
export function bundleConformance(backend: Backend): void {
  describe(`bundles (${backend.name})`, () => {
    const fx = useStore(backend);
    let oldCa: Uint8Array;
    let newCa: Uint8Array;
    beforeAll(async () => {
      oldCa = await caCert('old', T0 - 100);
      newCa = await caCert('new', T0 + 86_400);
    });

    it('creates and fetches a bundle byte for byte; a second create is refused', async () => {
      const b = bundle('other.org', {
        x509Authorities: [{ asn1: newCa, tainted: true }],
        jwtAuthorities: [key('k1', T0 + 10)],
      });
      await fx.store.createBundle(b);
      expect(await fx.store.fetchBundle('other.org')).toEqual(b);
      expect(await fx.store.fetchBundle('none.org')).toBeUndefined();
      expect(await codeOf(fx.store.createBundle(b))).toBe('ERR_DATASTORE_ALREADY_EXISTS');
    });

    it('updates masked fields and bumps the sequence number unless the mask sets it', async () => {
      await fx.store.createBundle(bundle('td.org'));
      const u = await fx.store.updateBundle(
        bundle('td.org', { refreshHint: 60, jwtAuthorities: [key('k', 0)] }),
        {
          refreshHint: true,
        },
      );
      expect(u).toEqual(bundle('td.org', { refreshHint: 60, sequenceNumber: 2 }));
      const s = await fx.store.updateBundle(bundle('td.org', { sequenceNumber: 42 }), {
        sequenceNumber: true,
      });
      expect(s.sequenceNumber).toBe(42);
      expect(await codeOf(fx.store.updateBundle(bundle('none.org')))).toBe(
        'ERR_DATASTORE_NOT_FOUND',
      );
    });

    it('appends only missing authorities and bumps the sequence only on change', async () => {
      const first = await fx.store.appendBundle(
        bundle('td.org', { x509Authorities: [{ asn1: oldCa, tainted: false }] }),
      );
      expect(first.sequenceNumber).toBe(1);
      const extra = bundle('td.org', {
        x509Authorities: [
          { asn1: oldCa, tainted: false },
          { asn1: newCa, tainted: false },
        ],
        jwtAuthorities: [key('k1', 0)],
      });
      const merged = await fx.store.appendBundle(extra);
      expect([
        merged.x509Authorities.length,
        merged.jwtAuthorities.length,
        merged.sequenceNumber,
      ]).toEqual([2, 1, 2]);
      const same = await fx.store.appendBundle(extra);
      expect(same).toEqual(merged);
    });

    it('sets a bundle: creates it, then replaces it whole', async () => {
      await fx.store.setBundle(bundle('td.org', { jwtAuthorities: [key('a', 0)] }));
      const replaced = bundle('td.org', { sequenceNumber: 7 });
      expect(await fx.store.setBundle(replaced)).toEqual(replaced);
      expect(await fx.store.fetchBundle('td.org')).toEqual(replaced);
    });

    it('restricts delete of a bundle federated with entries (D09)', async () => {
      await fx.store.createBundle(bundle('other.org'));
      await fx.store.createEntry(fedEntry('e1', ['other.org']));
      await expect(fx.store.deleteBundle('other.org', 'restrict')).rejects.toMatchObject({
        code: 'ERR_DATASTORE_BUNDLE_IN_USE',
        message: 'cannot delete bundle; federated with 1 registration entries',
      });
      expect(await fx.store.countBundles()).toBe(1);
      expect((await fx.store.fetchEntry('e1'))?.federatesWith).toEqual(['other.org']);
    });

    it('dissociates entries on delete mode dissociate, deletes them on mode delete', async () => {
      await fx.store.createBundle(bundle('a.org'));
      await fx.store.createBundle(bundle('b.org'));
      await fx.store.createEntry(fedEntry('ea', ['a.org']));
      await fx.store.createEntry(fedEntry('eb', ['b.org']));
      await fx.store.deleteBundle('a.org', 'dissociate');
      const ea = await fx.store.fetchEntry('ea');
      expect([ea?.federatesWith, ea?.revisionNumber]).toEqual([[], 1]);
      await fx.store.deleteBundle('b.org', 'delete');
      expect(await fx.store.fetchEntry('eb')).toBeUndefined();
      expect([await fx.store.countBundles(), await fx.store.countEntries()]).toEqual([0, 1]);
      expect(await codeOf(fx.store.deleteBundle('b.org', 'delete'))).toBe(
        'ERR_DATASTORE_NOT_FOUND',
      );
    });

    it('lists bundles in pages and counts them', async () => {
      for (const td of ['a.org', 'b.org', 'c.org']) await fx.store.createBundle(bundle(td));
      const p1 = await fx.store.listBundles({ pageSize: 2 });
      const p2 = await fx.store.listBundles({ pageSize: 2, pageToken: p1.nextPageToken });
      expect([...p1.items, ...p2.items].map((b) => b.trustDomain)).toEqual([
        'a.org',
        'b.org',
        'c.org',
      ]);
      expect(p2.nextPageToken).toBe('');
      expect(await fx.store.countBundles()).toBe(3);
    });

    it('prunes expired authorities and refuses to prune every x509 authority', async () => {
      await fx.store.createBundle(
        bundle('td.org', {
          x509Authorities: [
            { asn1: oldCa, tainted: false },
            { asn1: newCa, tainted: false },
          ],
          jwtAuthorities: [key('gone', T0 - 1), key('kept', T0 + 1), key('forever', 0)],
        }),
      );
      expect(await fx.store.pruneBundle('td.org', T0)).toBe(true);
      const b = await fx.store.fetchBundle('td.org');
      expect(b?.x509Authorities.map((a) => Buffer.from(a.asn1).equals(Buffer.from(newCa)))).toEqual(
        [true],
      );
      expect([b?.jwtAuthorities.map((k) => k.keyId), b?.sequenceNumber]).toEqual([
        ['kept', 'forever'],
        2,
      ]);
      expect(await fx.store.pruneBundle('td.org', T0)).toBe(false);
      expect(await codeOf(fx.store.pruneBundle('td.org', T0 + 86_401))).toBe(
        'ERR_DATASTORE_BUNDLE_PRUNE_ALL',
      );
      expect((await fx.store.fetchBundle('td.org'))?.sequenceNumber).toBe(2);
    });
  });
}
