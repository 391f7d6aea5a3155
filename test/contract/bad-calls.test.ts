import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mulberry32 } from '@tsgrad/testing';
import { checkBadCall, nextDraws, type Entry } from './harness.js';
import { TENSOR_TABLE } from './table-tensor.js';
import { NN_TABLE, removeContractFiles } from './table-nn.js';

afterAll(removeContractFiles);

/*
 * The contract fuzz suite: every way the table knows to break a call of the public API
 * (tensor creation, every op family, autograd, losses and their modules, layers,
 * optimisers, init, state dicts) must throw a TsgradError subclass whose message starts
 * with the called function's name, and must change nothing — tensors, parameters,
 * optimiser state, the autograd graph, the global generator's stream.
 *
 * Each entry is run over every one of its mutators on 3 generated bases (exhaustive),
 * then fast-check draws further (base seed, mutator) pairs.
 */

const SEED = 4321;
const EXPECTED_DRAWS = nextDraws(SEED);
let calls = 0;

function runEntry(entry: Entry, baseSeed: number, mutatorIndex: number): string | null {
  const valid = entry.make(mulberry32(baseSeed));
  const m = entry.bad[mutatorIndex % entry.bad.length]!;
  calls++;
  const out = checkBadCall(entry, valid, m, SEED, EXPECTED_DRAWS);
  return out.ok ? null : out.problem!;
}

function suite(title: string, table: readonly Entry[]): void {
  describe(title, () => {
    it('the table has no entry without bad calls and no duplicate names', () => {
      for (const e of table) expect(e.bad.length, e.name).toBeGreaterThan(0);
      const names = table.map((e) => e.name);
      expect(names.length).toBe(new Set(names).size);
    });

    it('every mutator of every entry, on 3 generated bases: a TsgradError naming the function, nothing changed', () => {
      const problems: string[] = [];
      for (const entry of table) {
        for (let base = 1; base <= 3; base++) {
          for (let k = 0; k < entry.bad.length; k++) {
            const p = runEntry(entry, base * 7919, k);
            if (p) problems.push(p);
          }
        }
      }
      expect(problems, problems.join('\n')).toEqual([]);
    });

    it('fast-check: random bases and mutators', () => {
      fc.assert(
        fc.property(fc.nat(table.length - 1), fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.nat(), (e, seed, k) => {
          const p = runEntry(table[e]!, seed, k);
          if (p) throw new Error(p);
        }),
        { numRuns: Number(process.env.CONTRACT_RUNS ?? 300) },
      );
    });
  });
}

suite('bad calls of @tsgrad/tensor', TENSOR_TABLE);
suite('bad calls of @tsgrad/nn', NN_TABLE);

describe('the suite itself', () => {
  it('generated a substantial number of bad calls', () => {
    // Reported by `npx vitest run test/contract` as the test name below; a floor guards against an emptied table.
    expect(calls).toBeGreaterThan(1500);
  });
});
