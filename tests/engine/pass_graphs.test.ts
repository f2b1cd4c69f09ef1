// Training passes recorded once per batch shape and decoding steps once per decoding batch,
// then replayed (CUDA graphs; model/pass_graphs.h), checked on the CPU:
// REGURGITATE_TEST_GRAPHS=N makes the CPU backend record and replay ops with the CUDA
// backend's slot rules (testing/recording_backend.cc). Replays must give the same bits as
// running every op directly: training with dropout on (a fresh mask per step through the
// slots), validation passes in between and a workspace that grows mid-run; decoding with
// a new position every step, beam reorders and sampling between steps.
import { afterEach, describe, expect, it } from 'vitest';

import { Transformer } from '../../ts/src/engine/transformer.js';
import { Trainer } from '../../ts/src/engine/trainer.js';
import type { Pair } from '../../ts/src/engine/pairs.js';
import { reversalPairs } from '../helpers.js';

const CONFIG = { vocabSize: 50, dModel: 32, nHeads: 4, dFF: 64, encoderLayers: 2, decoderLayers: 2, maxLen: 40, dropout: 0.1, labelSmoothing: 0.1 };

const pairs = (n: number, seed: number, maxLen: number): Pair[] => reversalPairs(n, seed, maxLen, CONFIG.vocabSize);

function create(graphs: string | undefined): Transformer {
  const old = process.env.REGURGITATE_TEST_GRAPHS;
  if (graphs === undefined) delete process.env.REGURGITATE_TEST_GRAPHS;
  else process.env.REGURGITATE_TEST_GRAPHS = graphs;
  try {
    return Transformer.create(CONFIG, { seed: 5 });
  } finally {
    if (old === undefined) delete process.env.REGURGITATE_TEST_GRAPHS;
    else process.env.REGURGITATE_TEST_GRAPHS = old;
  }
}

async function train(m: Transformer, data: Pair[], valid: Pair[] | null) {
  const losses: number[] = [];
  const valids: number[] = [];
  await new Trainer(m, { seed: 9, maxSteps: 36, maxTokens: 160, lr: 2e-3, warmupSteps: 5, progressEvery: 1, validEvery: valid ? 12 : 0 }).fit(data, valid, {
    onProgress: (p) => {
      losses.push(p.loss);
      if (p.validLoss !== undefined) valids.push(p.validLoss);
    },
  });
  return { losses, valids, params: new Uint32Array(m.parameters().slice().buffer) };
}

afterEach(() => {
  delete process.env.REGURGITATE_TEST_GRAPHS;
});

describe('training passes and decoding steps as recorded graphs (CPU stand-in for CUDA graphs)', () => {
  const data = pairs(48, 1, 10);

  it('replays give the same losses and weights, bit for bit, as running every op', async () => {
    // Validation sentences longer than any training one: the first validation pass grows
    // the workspace, which drops every recording (their addresses moved); they are re-made.
    const valid = pairs(12, 2, 16);
    const direct = create(undefined);
    const graphed = create('64');
    const a = await train(direct, data, valid);
    const b = await train(graphed, data, valid);
    const none = { captured: 0, replayed: 0, direct: 0, failed: 0, dropped: 0 };
    expect(direct.graphStats()).toEqual({ capacity: 0, ...none, decode: none });
    const s = graphed.graphStats();
    expect(s.capacity).toBe(64);
    expect(s.failed).toBe(0);
    expect(s.captured).toBeGreaterThan(0);
    expect(s.dropped).toBeGreaterThan(0);
    expect(s.replayed).toBeGreaterThan(s.captured);
    expect(s.replayed + s.direct).toBe(36);
    expect(b.losses).toEqual(a.losses);
    expect(b.valids).toEqual(a.valids);
    expect(b.valids.length).toBe(3);
    expect(Array.from(b.params)).toEqual(Array.from(a.params));
  });

  it('a shape is recorded on its second pass, and shapes past the capacity run op by op', async () => {
    const direct = create(undefined);
    const one = create('1');
    const a = await train(direct, data, null);
    const b = await train(one, data, null);
    const s = one.graphStats();
    expect(s).toMatchObject({ capacity: 1, captured: 1, failed: 0, dropped: 0 });
    expect(s.replayed).toBeGreaterThan(0);
    expect(s.direct).toBe(36 - s.replayed);
    expect(b.losses).toEqual(a.losses);
    expect(Array.from(b.params)).toEqual(Array.from(a.params));
  });

  it('decoding steps replayed at every position give the same hypotheses and log-probs (greedy, beam, sampling)', async () => {
    const direct = create(undefined);
    const graphed = create('8');
    graphed.setParameters(direct.parameters());
    const srcs = pairs(20, 7, 12).map((p) => p.src);
    for (const options of [{ beamSize: 1 }, { beamSize: 4, lengthPenalty: 1 }, { method: 'sample' as const, seed: 3, temperature: 0.9, topP: 0.9 }]) {
      const a = await direct.translate(srcs, options);
      const b = await graphed.translate(srcs, options);
      expect(b.ids, JSON.stringify(options)).toEqual(a.ids);
      expect(b.logprobs, JSON.stringify(options)).toEqual(a.logprobs);
    }
    const d = graphed.graphStats().decode;
    expect(d.failed).toBe(0);
    expect(d.captured).toBeGreaterThanOrEqual(3);
    expect(d.replayed).toBeGreaterThan(5 * d.captured);
  });
});
