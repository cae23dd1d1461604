import { describe, expect, it } from 'vitest';
import type { NewAttestedNode, NodeFilter } from '../../../../src/server/datastore/index.js';
import type { Backend } from '../support/backends.js';
import { codeOf } from '../support/errors.js';
import { T0, useStore } from '../support/harness.js';

const A = 'spiffe://example.org/spire/agent/join_token/a';
const B = 'spiffe://example.org/spire/agent/x509pop/b';
const C = 'spiffe://example.org/spire/agent/x509pop/c';
const zone = { type: 'x509pop', value: 'subject:cn:zone1' };
const tag = { type: 'x509pop', value: 'ca:fingerprint:f' };

function node(spiffeId: string, over: Partial<NewAttestedNode> = {}): NewAttestedNode {
  return {
    spiffeId,
    attestationDataType: 'x509pop',
    certSerialNumber: '1',
    certNotAfter: T0 + 3600,
    ...over,
  };
}

/** Attested-node behaviour every backend must show. */
export function nodeConformance(backend: Backend): void {
  describe(`attested nodes (${backend.name})`, () => {
    const fx = useStore(backend);

    it('creates, fetches, updates with a mask and deletes a node', async () => {
      const created = await fx.store.createAttestedNode(
        node(A, { canReattest: true, agentVersion: '1.0' }),
      );
      const expected = {
        spiffeId: A,
        attestationDataType: 'x509pop',
        certSerialNumber: '1',
        certNotAfter: T0 + 3600,
        newCertSerialNumber: '',
        newCertNotAfter: 0,
        canReattest: true,
        agentVersion: '1.0',
        selectors: [],
        banned: false,
      };
      expect(created).toEqual(expected);
      expect(await fx.store.fetchAttestedNode(A)).toEqual(expected);
      const u = await fx.store.updateAttestedNode(
        node(A, { newCertSerialNumber: '2', newCertNotAfter: T0 + 7200, certSerialNumber: 'x' }),
        { newCertSerialNumber: true, newCertNotAfter: true },
      );
      expect(u).toEqual({ ...expected, newCertSerialNumber: '2', newCertNotAfter: T0 + 7200 });
      expect(await fx.store.deleteAttestedNode(A)).toEqual(u);
      expect(await fx.store.fetchAttestedNode(A)).toBeUndefined();
    });

    it('derives banned from an empty serial number, as SPIRE bans', async () => {
      await fx.store.createAttestedNode(node(A));
      const banned = await fx.store.updateAttestedNode(node(A, { certSerialNumber: '' }), {
        certSerialNumber: true,
        newCertSerialNumber: true,
      });
      expect([banned.banned, banned.certSerialNumber, banned.newCertSerialNumber]).toEqual([
        true,
        '',
        '',
      ]);
    });

    it.each([
      ['create of an existing node', 'ERR_DATASTORE_ALREADY_EXISTS', 'create'],
      ['update of a missing node', 'ERR_DATASTORE_NOT_FOUND', 'update'],
      ['delete of a missing node', 'ERR_DATASTORE_NOT_FOUND', 'delete'],
    ])('reports %s', async (_name, code, op) => {
      await fx.store.createAttestedNode(node(A));
      const p =
        op === 'create'
          ? fx.store.createAttestedNode(node(A))
          : op === 'update'
            ? fx.store.updateAttestedNode(node(B))
            : fx.store.deleteAttestedNode(B);
      expect(await codeOf(p)).toBe(code);
    });

    it('sets, replaces and lists node selectors, and deletes them with the node', async () => {
      await fx.store.createAttestedNode(node(A));
      await fx.store.setNodeSelectors(A, [zone, tag, zone]);
      expect(await fx.store.getNodeSelectors(A)).toEqual([tag, zone]);
      await fx.store.setNodeSelectors(A, [zone]);
      await fx.store.setNodeSelectors(B, [tag]);
      expect(await fx.store.listNodeSelectors()).toEqual(
        new Map([
          [A, [zone]],
          [B, [tag]],
        ]),
      );
      expect((await fx.store.fetchAttestedNode(A))?.selectors).toEqual([zone]);
      await fx.store.deleteAttestedNode(A);
      expect(await fx.store.getNodeSelectors(A)).toEqual([]);
    });

    async function seed() {
      await fx.store.createAttestedNode(
        node(A, { attestationDataType: 'join_token', certNotAfter: T0 - 10 }),
      );
      await fx.store.createAttestedNode(node(B, { canReattest: true }));
      await fx.store.createAttestedNode(
        node(C, { certSerialNumber: '', canReattest: true, certNotAfter: T0 - 5 }),
      );
      await fx.store.setNodeSelectors(B, [zone, tag]);
      await fx.store.setNodeSelectors(C, [zone]);
    }

    const cases: [string, NodeFilter, string[]][] = [
      ['no filter', {}, [A, B, C]],
      ['attestation type', { byAttestationType: 'x509pop' }, [B, C]],
      ['banned', { byBanned: true }, [C]],
      ['not banned', { byBanned: false }, [A, B]],
      ['expires before', { byExpiresBefore: T0 }, [A, C]],
      ['can reattest', { byCanReattest: true }, [B, C]],
      [
        'selector superset {zone}',
        { bySelectorMatch: { selectors: [zone], match: 'superset' } },
        [B, C],
      ],
      ['selector exact {zone}', { bySelectorMatch: { selectors: [zone], match: 'exact' } }, [C]],
      ['selector subset {zone}', { bySelectorMatch: { selectors: [zone], match: 'subset' } }, [C]],
      ['selector any {tag}', { bySelectorMatch: { selectors: [tag], match: 'any' } }, [B]],
      ['combined', { byCanReattest: true, byBanned: false }, [B]],
    ];

    it.each(cases)('lists and counts nodes filtered by %s', async (_name, filter, ids) => {
      await seed();
      const page = await fx.store.listAttestedNodes(filter);
      expect([page.items.map((n) => n.spiffeId), page.nextPageToken]).toEqual([ids, '']);
      expect(await fx.store.countAttestedNodes(filter)).toBe(ids.length);
    });

    it('fills selectors only when asked and pages nodes', async () => {
      await seed();
      const plain = await fx.store.listAttestedNodes({}, { pageSize: 2 });
      expect(plain.items.map((n) => n.selectors)).toEqual([[], []]);
      const next = await fx.store.listAttestedNodes(
        { fetchSelectors: true },
        { pageSize: 2, pageToken: plain.nextPageToken },
      );
      expect([next.items.map((n) => [n.spiffeId, n.selectors]), next.nextPageToken]).toEqual([
        [[C, [zone]]],
        '',
      ]);
    });

    it('prunes expired nodes, sparing non-reattestable ones unless told', async () => {
      await seed();
      expect(await fx.store.pruneAttestedNodes(T0, false)).toEqual([C]);
      expect(await fx.store.pruneAttestedNodes(T0, true)).toEqual([A]);
      expect(await fx.store.countAttestedNodes()).toBe(1);
      expect(await fx.store.listNodeSelectors()).toEqual(new Map([[B, [tag, zone]]]));
    });

    it('records a node event for each write', async () => {
      await fx.store.createAttestedNode(node(A));
      await fx.store.setNodeSelectors(A, [zone]);
      await fx.store.updateAttestedNode(node(A));
      await fx.store.deleteAttestedNode(A);
      const events = await fx.store.listNodeEvents(0);
      expect(events.map((e) => [e.key, e.createdAt])).toEqual(Array(4).fill([A, T0]));
      expect(await fx.store.listNodeEvents(events[1]!.eventId)).toEqual(events.slice(2));
    });
  });
}
