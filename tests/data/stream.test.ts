// Bounded memory: a corpus far larger than the JavaScript heap allowed to the reading
// process streams through reading, cleaning and splitting.
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ensureBuilt, ROOT } from '../helpers.js';

const LINES = 200_000;
const HEAP_MB = 48;
const dir = mkdtempSync(join(tmpdir(), 'rg-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function write(path: string, line: (i: number) => string): Promise<void> {
  const ws = createWriteStream(path);
  let buf = '';
  for (let i = 0; i < LINES; i++) {
    buf += line(i);
    if (buf.length > 1 << 16) {
      if (!ws.write(buf)) await new Promise<void>((r) => ws.once('drain', () => r()));
      buf = '';
    }
  }
  ws.write(buf);
  await new Promise<void>((r, j) => ws.end((e?: Error | null) => (e ? j(e) : r())));
}

// ~150 bytes per side: 200k pairs are ~60 MB of text, more than the heap allows.
const es = (i: number) => `Frase número ${i} del corpus de prueba, con acentos (á é í ó ú ñ) y algo más de texto para que ocupe espacio: ${i * 7919}.`;
const en = (i: number) => `Sentence number ${i} of the test corpus, with accents (a e i o u n) and some more text so that it takes room: ${i * 7919}.`;

function child(kind: string, ...files: string[]) {
  const out = join(dir, `out-${kind}`);
  const r = spawnSync(process.execPath, [`--max-old-space-size=${HEAP_MB}`, join(ROOT, 'tests', 'fixtures', 'stream-child.mjs'), join(ROOT, 'dist'), kind, out, ...files], {
    encoding: 'utf8',
    timeout: 240_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim()) as { pairs: number; kept: number; train: number; peakHeapMB: number };
}

describe(`streaming ${LINES} pairs with a ${HEAP_MB} MB heap`, () => {
  beforeAll(async () => {
    ensureBuilt();
    await write(join(dir, 'big.es'), (i) => es(i) + '\n');
    await write(join(dir, 'big.en'), (i) => en(i) + '\n');
    await write(join(dir, 'big.tmx'), (i) =>
      (i === 0 ? '<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header/><body>\n' : '') +
      `<tu><tuv xml:lang="es"><seg>${es(i)}</seg></tuv><tuv xml:lang="en"><seg>${en(i)}</seg></tuv></tu>\n` +
      (i === LINES - 1 ? '</body></tmx>\n' : ''),
    );
  }, 120_000);

  it('Moses pair', () => {
    expect(statSync(join(dir, 'big.es')).size + statSync(join(dir, 'big.en')).size).toBeGreaterThan(HEAP_MB * 2 ** 20);
    const r = child('moses', join(dir, 'big.es'), join(dir, 'big.en'));
    expect(r).toMatchObject({ pairs: LINES, kept: LINES, train: LINES - 1000 });
    expect(r.peakHeapMB).toBeLessThan(HEAP_MB);
  });

  it('TMX', () => {
    const r = child('tmx', join(dir, 'big.tmx'));
    expect(r).toMatchObject({ pairs: LINES, kept: LINES, train: LINES - 1000 });
    expect(r.peakHeapMB).toBeLessThan(HEAP_MB);
  });
});
