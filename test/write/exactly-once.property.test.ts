/**
 * Exactly-once with batches in flight, as a property (fast-check), on
 * memory, local and Cassandra stores: random runs of pipelines (several
 * writers each sending several seqs at once, in shuffled order, some sent
 * twice at the same moment as a retry would be), re-sends of old batches,
 * rollbacks and compactions, against a pure model. After every step:
 *
 * - each (writer, seq) of a pipeline is stored once: one answer says
 *   duplicate:false, every other copy says duplicate:true with that version;
 * - a `duplicate` answer names a version whose history holds that batch;
 * - the versions a pipeline made are consecutive, and the model applies
 *   each one's batches together (a group commit);
 * - a compaction makes a version that answers as the one before it;
 * - the head's rows and each writer's newest seq are the model's.
 *
 * At the end every version is read back by time travel. (Kills of a writing
 * process are tested in test/versions/crash.test.ts and, with batches in
 * flight, in test/server/pipelining.test.ts.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Strata, openStore, parseColumns } from '../../src/index.js';
import type { Store } from '../../src/index.js';
import { cassandraUrl } from '../helpers/cassandra.js';

const writers = ['a', 'b', 'c'] as const;

type Send = { writer: number; seq: number; rows: number[]; copies: number };
type Step =
  | { t: 'pipeline'; sends: Send[]; order: number[] }
  | { t: 'resend'; pick: number }
  | { t: 'rollback'; back: number }
  | { t: 'compact'; full: boolean };

const sendArb = fc.record({
  writer: fc.nat(writers.length - 1), seq: fc.integer({ min: 1, max: 40 }),
  rows: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 6 }), copies: fc.integer({ min: 1, max: 3 }),
});
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('pipeline' as const), sends: fc.array(sendArb, { minLength: 1, maxLength: 12 }), order: fc.array(fc.nat(), { minLength: 36, maxLength: 36 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('resend' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('rollback' as const), back: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('compact' as const), full: fc.boolean() }) },
);

interface ModelVersion {
  rows: string[];
  /** Every (writer, seq) this version's history holds, with its content and the version that stored it. */
  held: Map<string, { text: string; version: number }>;
  newest: Map<string, number>;
}

const key = (w: string, seq: number): string => `${w}\0${seq}`;

function exactlyOnce(backend: string, open: () => Promise<Store>): void {
  it(`stores every pipelined batch exactly once, whatever the order, retries, rollbacks and compactions (${backend})`, async () => {
    const store = await open();
    const db = await Strata.open({ store, limits: { compactionIdleMs: 0, compactionTierChunks: 2 } });
    let run = 0;
    await fc.assert(fc.asyncProperty(fc.array(stepArb, { minLength: 2, maxLength: 10 }), async (steps) => {
      const ds = `x${run++}`;
      await db.createDataset(ds, { columns: parseColumns('p:string,id:int64,w:string,seq:int64'), partitionKey: ['p'], sortKey: ['id'], chunkRows: 8 });
      const versions: ModelVersion[] = [{ rows: [], held: new Map(), newest: new Map() }];
      const sent: { writer: string; seq: number; text: string; rows: string[] }[] = [];
      let nextId = 1;
      const head = (): ModelVersion => versions[versions.length - 1]!;
      // A batch's text for (writer, seq) is fixed the first time it is made, so every copy is a true retry.
      const made = new Map<string, { text: string; rows: string[] }>();
      const batch = (writer: string, seq: number, seeds: number[]): { text: string; rows: string[] } => {
        const k = key(writer, seq);
        if (!made.has(k)) {
          const rows = seeds.map((s) => ({ p: `p${s % 4}`, id: nextId++, w: writer, seq }));
          made.set(k, { text: rows.map((r) => JSON.stringify(r)).join('\n'), rows: rows.map((r) => JSON.stringify([r.p, r.id, r.w, r.seq])) });
        }
        return made.get(k)!;
      };
      const checkHead = async (what: string): Promise<void> => {
        const actual = (await db.sql(`select p, id, w, seq from ${ds}`)).rows.map((r) => JSON.stringify(r)).sort();
        expect(actual, `rows after ${what}`).toEqual([...head().rows].sort());
        const snap = await db.snapshot(ds);
        expect(Object.fromEntries([...snap.writers].map(([w, st]) => [w, st.seq])), `writers after ${what}`).toEqual(Object.fromEntries(head().newest));
        expect(snap.version, `version after ${what}`).toBe(versions.length - 1);
      };

      for (const [i, step] of steps.entries()) {
        const what = `step ${i + 1} (${step.t})`;
        if (step.t === 'pipeline' || step.t === 'resend') {
          const sends = step.t === 'pipeline'
            ? step.sends.map((s) => ({ writer: writers[s.writer]!, seq: s.seq, ...batch(writers[s.writer]!, s.seq, s.rows), copies: s.copies }))
            : sent.length === 0 ? [] : [{ ...sent[step.pick % sent.length]!, copies: 1 }];
          const copies = sends.flatMap((s) => Array.from({ length: s.copies }, () => s));
          // Shuffled by the generated order: batches of one writer arrive in any order.
          const order = copies.map((_, j) => j).sort((x, y) => ((step.t === 'pipeline' ? step.order[x] ?? 0 : 0) - (step.t === 'pipeline' ? step.order[y] ?? 0 : 0)) || x - y);
          const answers = await Promise.all(order.map((j) => db.ingest(ds, copies[j]!.text, 'ndjson', { writer: copies[j]!.writer, seq: copies[j]!.seq })));
          const byKey = new Map<string, { s: (typeof copies)[number]; answers: { version: number; duplicate: boolean }[] }>();
          order.forEach((j, n) => {
            const s = copies[j]!;
            const e = byKey.get(key(s.writer, s.seq)) ?? { s, answers: [] };
            e.answers.push(answers[n]!);
            byKey.set(key(s.writer, s.seq), e);
          });
          // What got stored, by the version that stored it.
          const stored = new Map<number, (typeof copies)[number][]>();
          for (const [k, { s, answers: as }] of byKey) {
            const fresh = as.filter((a) => !a.duplicate);
            const before = head().held.get(k);
            if (before) {
              expect(fresh, `${what}: ${k} was stored before, so every copy is a duplicate`).toEqual([]);
              for (const a of as) expect(a.version, `${what}: duplicate of ${k}`).toBe(before.version);
            } else {
              expect(fresh, `${what}: ${k} is stored exactly once`).toHaveLength(1);
              for (const a of as) expect(a.version, `${what}: every copy of ${k} names its version`).toBe(fresh[0]!.version);
              stored.set(fresh[0]!.version, [...(stored.get(fresh[0]!.version) ?? []), s]);
            }
          }
          const made = [...stored.keys()].sort((x, y) => x - y);
          expect(made, `${what}: the versions made follow the head`).toEqual(made.map((_, n) => versions.length + n));
          for (const v of made) {
            const h = head();
            const next: ModelVersion = { rows: [...h.rows], held: new Map(h.held), newest: new Map(h.newest) };
            for (const s of stored.get(v)!) {
              next.rows.push(...s.rows);
              next.held.set(key(s.writer, s.seq), { text: s.text, version: v });
              next.newest.set(s.writer, Math.max(next.newest.get(s.writer) ?? -1, s.seq));
              sent.push(s);
            }
            versions.push(next);
          }
        } else if (step.t === 'rollback') {
          const to = Math.max(0, versions.length - 1 - step.back);
          expect((await db.rollback(ds, to)).version).toBe(versions.length);
          versions.push({ ...versions[to]! });
        } else {
          const r = await db.compact(ds, { full: step.full });
          if (r.version !== null) {
            expect(r.version).toBe(versions.length);
            versions.push({ ...head() });
          }
        }
        await checkHead(what);
      }
      for (const [v, mv] of versions.entries()) {
        expect((await db.sql(`select count(*) from ${ds} AT (VERSION => ${v})`)).rows[0]![0], `rows at version ${v}`).toBe(mv.rows.length);
      }
      await db.drop(ds);
    }), { numRuns: Number(process.env.STRATA_PROPERTY_RUNS ?? 30), seed: process.env.STRATA_TEST_SEED ? Number(process.env.STRATA_TEST_SEED) : undefined });
    await db.close();
  }, 300_000);
}

describe('exactly-once appends with batches in flight', () => {
  exactlyOnce('memory', async () => openStore('memory:'));
  exactlyOnce('local', async () => openStore(path.join(mkdtempSync(path.join(tmpdir(), 'strata-once-')), 'store')));
  exactlyOnce('cassandra', async () => openStore(cassandraUrl('strata_once')));
});
