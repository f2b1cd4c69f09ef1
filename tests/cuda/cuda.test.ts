// The optional CUDA module (native/cuda, built by scripts/build-cuda.sh): (a) it was built
// wherever nvcc exists, and it loads, also without a driver; (b) without a GPU devices()
// throws "CUDA unavailable: ..." and probeCuda() reports it; (c) on a GPU, its kernels
// against the CPU addon's (AdamW, dropout). Correctness only, never time.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { probeCuda } from '../../ts/src/native/cuda.js';
import { cpu, cuda, CUDA_PATH, deviceReason, gpuTitle, HAS_DEVICE, loadError, nanCount, relErr, values } from './device.js';

const TOL = 1e-5;

function nvccPath(): string | null {
  const r = spawnSync('bash', ['-c', 'if [ -n "$CUDACXX" ] && [ -x "$CUDACXX" ]; then echo "$CUDACXX"; else command -v nvcc || { [ -x /usr/local/cuda/bin/nvcc ] && echo /usr/local/cuda/bin/nvcc; }; fi'], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return p || null;
}

interface CudaModule {
  version(): { cudaRuntime: string; archs: string[]; runtimeLinkage: string; driverVersion: string | null };
  devices(): { index: number; name: string; computeCapability: string; memoryBytes: number; smCount: number }[];
  adamwTest(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, h: AdamWHyper): { p: Float32Array; m: Float32Array; v: Float32Array };
  dropoutTest(x: Float32Array, p: number, seed: number | bigint, stream: number | bigint, backward?: boolean): Float32Array;
}
interface AdamWHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  step: number;
  weightDecay: number;
}

const NVCC = nvccPath();
const PATH = CUDA_PATH;
const mod = cuda as CudaModule | null;
const skipGpu = gpuTitle;

describe('CUDA module: build and load', () => {
  it.skipIf(!NVCC)(NVCC ? `was built by scripts/build-cuda.sh (nvcc: ${NVCC})` : 'was built (skipped: no nvcc on this machine)', () => {
    expect(existsSync(PATH), `${PATH} is missing although nvcc exists: run bash scripts/build-cuda.sh`).toBe(true);
  });

  const built = existsSync(PATH);
  const loadTitle = 'loads without a driver and reports its build';
  it.skipIf(!built)(built ? loadTitle : `${loadTitle} (skipped: ${PATH} is not built; no nvcc here)`, () => {
    expect(loadError).toBe('');
    expect(mod).not.toBeNull();
    const v = mod!.version();
    expect(v.archs).toEqual(expect.arrayContaining(['80', '90']));
    expect(v.runtimeLinkage).toBe('static');
    expect(v.cudaRuntime).toMatch(/^\d+\.\d+$/);
  });

  it('the CPU addon has the kernels the GPU tests compare against', () => {
    expect(typeof cpu.adamwUpdate).toBe('function');
    expect(typeof cpu.dropout).toBe('function');
  });
});

describe('CUDA module without a GPU', () => {
  const noGpu = mod !== null && !HAS_DEVICE;
  const title = 'devices() throws "CUDA unavailable: <cuda error>" and probeCuda() says so';
  it.skipIf(!noGpu)(noGpu ? title : `${title} (skipped: ${mod ? 'a CUDA device is present' : deviceReason})`, () => {
    let msg = '';
    try {
      mod!.devices();
    } catch (e) {
      msg = e instanceof Error ? e.message : String(e);
      expect((e as { code?: string }).code).toBe('ECUDA_UNAVAILABLE');
    }
    expect(msg).toMatch(/^CUDA unavailable: cuda\w+: /);
    const st = probeCuda();
    expect(st.built).toBe(true);
    expect(st.loadable).toBe(false);
    expect(st.reason).toContain(msg);
  });

  const kernelTitle = 'kernel entry points throw the same clear error instead of crashing';
  it.skipIf(!noGpu)(noGpu ? kernelTitle : `${kernelTitle} (skipped: ${mod ? 'a CUDA device is present' : deviceReason})`, () => {
    expect(() => mod!.dropoutTest(new Float32Array(8), 0.5, 1, 2)).toThrow(/CUDA unavailable: /);
  });
});

describe('CUDA kernels vs the CPU addon', () => {
  const SIZES = [1, 3, 4, 5, 1023, 65537, (1 << 20) + 7];

  it.skipIf(!HAS_DEVICE)(skipGpu('AdamW: ten steps match cpu adamwUpdate (rel < 1e-5), every element written'), () => {
    for (const n of SIZES) {
      for (const weightDecay of [0, 0.01]) {
        let p: Float32Array = values(n, 1 + n, -1, 1);
        let m: Float32Array = new Float32Array(n);
        let v: Float32Array = new Float32Array(n);
        let gp = p, gm = m, gv = v;
        for (let step = 1; step <= 10; ++step) {
          const g = values(n, 1000 * step + n, -0.5, 0.5);
          const h: AdamWHyper = { lr: 1e-3, beta1: 0.9, beta2: 0.98, eps: 1e-8, step, weightDecay };
          const c = cpu.adamwUpdate(p, g, m, v, h) as { p: Float32Array; m: Float32Array; v: Float32Array };
          const d = mod!.adamwTest(gp, g, gm, gv, h);
          const where = `n=${n} wd=${weightDecay} step=${step}`;
          for (const k of ['p', 'm', 'v'] as const) {
            expect(nanCount(d[k]), `${where}: NaN in ${k}`).toBe(0);
            const r = relErr(d[k], c[k]);
            expect(r < TOL, `${where}: ${k} rel err ${r}`).toBe(true);
          }
          if (step === 1) {
            // In-place kernel: an element it skipped would keep its input value.
            let same = 0;
            for (let i = 0; i < n; ++i) if (d.p[i] === gp[i]) ++same;
            expect(same, `${where}: p elements left unchanged`).toBe(0);
          }
          p = c.p; m = c.m; v = c.v;
          gp = d.p; gm = d.m; gv = d.v;
        }
      }
    }
  });

  it.skipIf(!HAS_DEVICE)(skipGpu('dropout: same Philox masks as cpu dropout, values rel < 1e-5, every element written'), () => {
    const seeds: [number | bigint, number | bigint][] = [
      [0, 0],
      [42, 7],
      [0xdeadbeefcafe1234n, 0x0123456789abcdefn],
    ];
    for (const n of SIZES) {
      const x = values(n, 7 + n, 0.25, 2); // never zero, so zeros are exactly the mask
      for (const p of [0, 0.1, 0.5, 0.9, 1]) {
        for (const [seed, stream] of seeds) {
          for (const backward of [false, true]) {
            const where = `n=${n} p=${p} seed=${seed} stream=${stream} backward=${backward}`;
            const c = cpu.dropout(x, p, seed, stream, backward) as Float32Array;
            const d = mod!.dropoutTest(x, p, seed, stream, backward);
            expect(nanCount(d), `${where}: NaN (unwritten) elements`).toBe(0);
            let maskDiff = 0;
            for (let i = 0; i < n; ++i) if ((c[i] === 0) !== (d[i] === 0)) ++maskDiff;
            expect(maskDiff, `${where}: mask differs`).toBe(0);
            const r = relErr(d, c);
            expect(r < TOL, `${where}: rel err ${r}`).toBe(true);
          }
        }
      }
    }
  });
});
