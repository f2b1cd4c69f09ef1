// The CUDA training step and decoding step as CUDA graphs (one recording per batch shape,
// or per decoding batch, replayed with fresh dropout stream ids, gradient scale and
// position through device slots): training and decoding with graphs must give the same
// bits as with REGURGITATE_CUDA_GRAPHS=0 (every op launched directly), and graphs must
// actually be recorded and replayed. Skips where no GPU is.
import { describe, expect, it } from 'vitest';

import { Transformer } from '../../ts/src/engine/transformer.js';
import { Trainer } from '../../ts/src/engine/trainer.js';
import type { Pair } from '../../ts/src/engine/pairs.js';
import { reversalPairs } from '../helpers.js';
import { gpuTitle, HAS_DEVICE } from './device.js';

const CONFIG = { vocabSize: 61, dModel: 64, nHeads: 4, dFF: 128, encoderLayers: 2, decoderLayers: 2, maxLen: 40, dropout: 0.1, labelSmoothing: 0.1 };

const pairs = (n: number, seed: number, maxLen: number): Pair[] => reversalPairs(n, seed, maxLen, CONFIG.vocabSize);

function create(device: 'cpu' | 'cuda' | 'cuda:fp32', graphs: string): Transformer {
  const old = process.env.REGURGITATE_CUDA_GRAPHS;
  process.env.REGURGITATE_CUDA_GRAPHS = graphs;
  try {
    return Transformer.create(CONFIG, { seed: 6, device });
  } finally {
    if (old === undefined) delete process.env.REGURGITATE_CUDA_GRAPHS;
    else process.env.REGURGITATE_CUDA_GRAPHS = old;
  }
}

describe('the CUDA training and decoding steps as CUDA graphs', () => {
  it('REGURGITATE_CUDA_GRAPHS leaves the CPU backend alone: it records nothing, and passes run op by op', async () => {
    const m = create('cpu', '64');
    await new Trainer(m, { seed: 8, maxSteps: 6, maxTokens: 500, lr: 2e-3, warmupSteps: 2, progressEvery: 1, validEvery: 0 }).fit(pairs(40, 3, 14), null);
    await m.translate(pairs(4, 5, 10).map((p) => p.src), { beamSize: 2 });
    const none = { captured: 0, replayed: 0, direct: 0, failed: 0, dropped: 0 };
    expect(m.graphStats()).toEqual({ capacity: 0, ...none, decode: none });
  });

  for (const device of ['cuda:fp32', 'cuda'] as const) {
    it.skipIf(!HAS_DEVICE)(gpuTitle(`${device}: 60 steps with graphs equal 60 steps op by op, bit for bit (losses, validation, weights)`), async () => {
      const data = pairs(160, 3, 14);
      const valid = pairs(24, 4, 20);  // longer: the first validation pass grows the workspace
      const run = async (m: Transformer) => {
        const losses: number[] = [];
        const valids: number[] = [];
        await new Trainer(m, { seed: 8, maxSteps: 60, maxTokens: 500, lr: 2e-3, warmupSteps: 10, progressEvery: 1, validEvery: 20 }).fit(data, valid, {
          onProgress: (p) => {
            losses.push(p.loss);
            if (p.validLoss !== undefined) valids.push(p.validLoss);
          },
        });
        return { losses, valids, params: Array.from(new Uint32Array(m.parameters().slice().buffer)) };
      };
      const direct = create(device, '0');
      const graphed = create(device, '64');
      const a = await run(direct);
      const b = await run(graphed);
      const s = graphed.graphStats();
      expect(direct.graphStats().capacity).toBe(0);
      expect(s.failed, JSON.stringify(s)).toBe(0);
      expect(s.captured, JSON.stringify(s)).toBeGreaterThan(0);
      expect(s.replayed, JSON.stringify(s)).toBeGreaterThan(s.captured);
      expect(b.losses).toEqual(a.losses);
      expect(b.valids).toEqual(a.valids);
      expect(b.params).toEqual(a.params);
    });
  }

  for (const device of ['cuda:fp32', 'cuda'] as const) {
    it.skipIf(!HAS_DEVICE)(gpuTitle(`${device}: decoding steps replayed at every position equal op-by-op decoding, bit for bit (greedy, beam, sampling)`), async () => {
      const direct = create(device, '0');
      const graphed = create(device, '64');
      graphed.setParameters(direct.parameters());
      const srcs = pairs(40, 9, 14).map((p) => p.src);
      for (const options of [{ beamSize: 1 }, { beamSize: 5, lengthPenalty: 1 }, { method: 'sample' as const, seed: 2, topK: 20 }]) {
        const a = await direct.translate(srcs, options);
        const b = await graphed.translate(srcs, options);
        expect(b.ids, JSON.stringify(options)).toEqual(a.ids);
        expect(b.logprobs, JSON.stringify(options)).toEqual(a.logprobs);
      }
      const d = graphed.graphStats().decode;
      expect(d.failed, JSON.stringify(d)).toBe(0);
      expect(d.replayed, JSON.stringify(d)).toBeGreaterThan(d.captured);
    });
  }

  // Two models training at once (each on its own thread and stream, graphs on), one bf16 and
  // one fp32: each must end with the same bits as when trained alone. Catches state the
  // backends share across streams or threads (the GEMMs' scratch, the attention precision).
  it.skipIf(!HAS_DEVICE)(gpuTitle('two models of different precisions training at once equal each trained alone, bit for bit'), async () => {
    const data = pairs(160, 3, 14);
    const fit = async (m: Transformer) => {
      await new Trainer(m, { seed: 8, maxSteps: 30, maxTokens: 500, lr: 2e-3, warmupSteps: 10, progressEvery: 10, validEvery: 0 }).fit(data, null);
      return Array.from(new Uint32Array(m.parameters().slice().buffer));
    };
    const aloneBf16 = await fit(create('cuda', '64'));
    const aloneFp32 = await fit(create('cuda:fp32', '64'));
    const [bf16, fp32] = await Promise.all([fit(create('cuda', '64')), fit(create('cuda:fp32', '64'))]);
    expect(bf16).toEqual(aloneBf16);
    expect(fp32).toEqual(aloneFp32);
  });

  it.skipIf(!HAS_DEVICE)(gpuTitle('REGURGITATE_CUDA_GRAPHS that is not a count is an EINVAL naming the variable'), () => {
    expect(() => create('cuda', 'many')).toThrow(/REGURGITATE_CUDA_GRAPHS must be a count/);
  });
});
