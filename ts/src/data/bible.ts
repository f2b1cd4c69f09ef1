// The built-in `bible` corpus: the World English Bible (English) and the Reina-Valera
// 1909 (Spanish), both in the public domain, from Debian's SWORD module packages
// (sword-text-web, sword-text-sparv). Each module is exported to text with verse
// references by `mod2imp` (libsword-utils); its OSIS markup is stripped (notes,
// cross-references, Strong's numbers, section headings and other non-canonical
// titles go; canonical psalm titles stay, as in printed Bibles); and verses are
// paired by their (book, chapter, verse) reference. The two modules use different
// versifications (NRSVA with the deuterocanon, KJV): verses missing or empty on
// either side are dropped.
//
// Nothing is installed here: when a package is missing the error names it and gives
// the apt-get command.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';

import { invalid, RegurgitateError } from '../common/errors.js';
import { findOnPath } from '../common/which.js';
import type { SentencePair } from './corpus.js';

export interface BibleModule {
  lang: string;
  /** SWORD module name. */
  module: string;
  /** Debian package that installs it. */
  package: string;
  title: string;
  licence: string;
}

export const BIBLE_MODULES: Record<string, BibleModule> = {
  en: { lang: 'en', module: 'engWEB2015eb', package: 'sword-text-web', title: 'World English Bible', licence: 'Public domain' },
  es: { lang: 'es', module: 'spaRV1909eb', package: 'sword-text-sparv', title: 'Reina-Valera 1909', licence: 'Public domain' },
};

/** The tool that exports a module, and its Debian package. */
export const MOD2IMP = { command: 'mod2imp', package: 'libsword-utils' };

/** Parses 'es-en' into [src, tgt]; both must be languages of BIBLE_MODULES. */
export function parseBiblePair(pair: string): [string, string] {
  const m = /^([a-z]+)-([a-z]+)$/.exec(pair);
  const known = Object.keys(BIBLE_MODULES);
  if (!m || m[1] === m[2] || !known.includes(m[1]) || !known.includes(m[2]))
    throw invalid(`bible: --pair must be two different languages of ${known.join(', ')} joined by '-', e.g. es-en (got '${pair}')`);
  return [m[1], m[2]];
}

function swordDirs(): string[] {
  const dirs: string[] = [];
  if (process.env.SWORD_PATH) dirs.push(...process.env.SWORD_PATH.split(delimiter).filter(Boolean));
  dirs.push(join(homedir(), '.sword'), '/usr/share/sword', '/usr/local/share/sword');
  return dirs;
}

/** The .conf file of a SWORD module, or undefined when it is not installed. */
export function findSwordModule(module: string): string | undefined {
  const want = `${module.toLowerCase()}.conf`;
  for (const d of swordDirs()) {
    const mods = join(d, 'mods.d');
    let names: string[];
    try {
      names = readdirSync(mods);
    } catch {
      continue;
    }
    const hit = names.find((n) => n.toLowerCase() === want);
    if (hit) return join(mods, hit);
  }
  return undefined;
}

export interface BibleCheck {
  /** Debian packages that are missing (empty when everything is there). */
  missing: string[];
  /** The command that installs them. */
  install: string;
}

/** Which Debian packages the bible corpus for `langs` still needs. */
export function checkBible(langs: readonly string[]): BibleCheck {
  const missing: string[] = [];
  if (!findOnPath(MOD2IMP.command)) missing.push(MOD2IMP.package);
  for (const l of langs) {
    const m = BIBLE_MODULES[l];
    if (m && !findSwordModule(m.module)) missing.push(m.package);
  }
  return { missing, install: missing.length ? `sudo apt-get install ${missing.join(' ')}` : '' };
}

/** Thrown when a Debian package the bible corpus needs is missing. */
export function missingPackagesError(c: BibleCheck): RegurgitateError {
  const e = new RegurgitateError(
    'ENOTINSTALLED',
    `the bible corpus needs Debian packages that are not installed: ${c.missing.join(' ')}\n` +
      `install them with:\n  ${c.install}\n(regurgitate installs nothing itself; scripts/setup.sh installs them too)`,
  );
  return Object.assign(e, { missing: c.missing });
}

/** Fields of a SWORD .conf file (the first value of each key). */
export function readSwordConf(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Za-z_][\w.]*)=(.*)$/.exec(line.trim());
    if (m && !(m[1] in out)) out[m[1]] = m[2].trim();
  }
  return out;
}

// --- OSIS to plain text -----------------------------------------------------------

/** Elements whose content is not verse text. */
const DROP = new Set(['note', 'reference', 'rdg', 'catchWord', 'speaker', 'head', 'figure', 'index', 'milestone', 'caption', 'rf', 'RF', 'scripRef', 'foreign-note']);
/** Elements that separate text (a space is put between the words on either side). */
const BLOCK = new Set([
  'l', 'lg', 'lb', 'div', 'p', 'chapter', 'verse', 'title', 'item', 'list', 'speaker', 'note', 'milestone', 'head',
  'table', 'row', 'cell', 'br', 'CM', 'Pb', 'figure', 'caption', 'reference', 'rdg',
]);
/** No space is inserted after these at an element boundary... */
const OPENERS = new Set(['(', '[', '{', '“', '‘', '«', '¿', '¡', '—', '–', '"', "'"]);
/** ...nor before these. */
const CLOSERS = new Set(['.', ',', ';', ':', '!', '?', ')', ']', '}', '’', '”', '»', '…', '—', '–']);

/** Word-level inline elements: two of them back to back (`</w><transChange>`) are two words. */
const WORDS = new Set(['w', 'transChange']);

const END_DIVS = /\btype\s*=\s*["'](book|bookGroup|glossary|introduction|front|back|colophon|preface|appendix)["']/;

const ENT: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: ' ' };

function decodeXml(s: string): string {
  if (s.indexOf('&') < 0) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[A-Za-z]+);/g, (m, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
    }
    return ENT[e] ?? m;
  });
}

const WS = /\s/;

/**
 * Verse text of an OSIS (also ThML/GBF-ish) entry: markup removed, notes, Strong's
 * numbers and headings dropped, words on either side of a removed element kept apart,
 * whitespace collapsed.
 */
export function osisToText(entry: string): string {
  let out = '';
  let pendingBreak = false;
  const stack: { name: string; drop: boolean }[] = [];
  let dropDepth = 0;
  let closedWord = false; // the last thing seen was the end of a <w> or <transChange>
  const re = /<(\/?)([A-Za-z][\w:.-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>|<!--[\s\S]*?-->|([^<]+)|</g;
  let m: RegExpExecArray | null;
  const brk = () => {
    pendingBreak = true;
  };
  while ((m = re.exec(entry)) !== null) {
    const textPart = m[5];
    if (textPart !== undefined) {
      if (dropDepth > 0) continue;
      const t = decodeXml(textPart);
      if (t === '') continue;
      if (pendingBreak && out !== '') {
        const prev = out[out.length - 1];
        const next = t[0];
        if (!WS.test(prev) && !WS.test(next) && !OPENERS.has(prev) && !CLOSERS.has(next)) out += ' ';
      }
      pendingBreak = false;
      closedWord = false;
      out += t;
      continue;
    }
    const name = m[2];
    if (name === undefined) continue; // a comment or a stray '<'
    const closing = m[1] === '/';
    const selfClosing = m[4] === '/';
    const attrs = m[3] ?? '';
    if (BLOCK.has(name)) brk();
    // The end of a chapter, or the start of a book, an introduction or a glossary, after
    // verse text: what follows is not part of the verse (e.g. the WEB glossary after
    // Revelation 22:21).
    if (out !== '' && ((name === 'chapter' && /\beID\s*=/.test(attrs)) || (name === 'div' && /\bsID\s*=/.test(attrs) && END_DIVS.test(attrs)))) break;
    if (selfClosing) continue;
    if (WORDS.has(name)) {
      if (!closing && closedWord) brk();
      closedWord = closing;
    }
    if (closing) {
      // Pop to the matching element (tolerating unclosed inner ones).
      for (let i = stack.length - 1; i >= 0; i--) {
        if (stack[i].name === name) {
          for (let k = stack.length - 1; k >= i; k--) if (stack[k].drop) dropDepth--;
          stack.length = i;
          break;
        }
      }
      continue;
    }
    const drop = DROP.has(name) || (name === 'title' && !/\bcanonical\s*=\s*["']true["']/.test(attrs));
    stack.push({ name, drop });
    if (drop) dropDepth++;
  }
  return out.replace(/\s+/g, ' ').trim();
}

// --- Reading modules --------------------------------------------------------------

/** A verse reference split into book, chapter and verse. */
export function parseVerseKey(key: string): { book: string; chapter: number; verse: number } | undefined {
  const m = /^(.+) (\d+):(\d+)$/.exec(key);
  if (!m) return undefined;
  return { book: m[1], chapter: Number(m[2]), verse: Number(m[3]) };
}

/**
 * The verses of a SWORD module as 'Book C:V' -> plain text, in module order. Entries
 * for book and chapter introductions (chapter or verse 0) and empty verses are left out.
 */
export async function readSwordModule(module: string): Promise<Map<string, string>> {
  const exe = findOnPath(MOD2IMP.command);
  if (!exe) throw missingPackagesError({ missing: [MOD2IMP.package], install: `sudo apt-get install ${MOD2IMP.package}` });
  // A fixed locale keeps the book names the same whatever the user's settings.
  const child = spawn(exe, [module], { env: { ...process.env, LANG: 'C', LC_ALL: 'C', LANGUAGE: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    if (stderr.length < 4000) stderr += d;
  });
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
  const verses = new Map<string, string>();
  let key: string | undefined;
  let body: string[] = [];
  const flush = () => {
    if (key === undefined) return;
    const k = parseVerseKey(key);
    if (k && k.chapter > 0 && k.verse > 0) {
      const text = osisToText(body.join('\n'));
      if (text !== '' && !verses.has(key)) verses.set(key, text);
    }
    key = undefined;
    body = [];
  };
  const rl = createInterface({ input: child.stdout, crlfDelay: Infinity });
  for await (const line of rl) {
    if (line.startsWith('$$$')) {
      flush();
      key = line.slice(3).trim();
    } else if (key !== undefined) body.push(line);
  }
  flush();
  const code = await exited;
  if (code !== 0 || verses.size === 0)
    throw new RegurgitateError('EIO', `mod2imp ${module} failed (exit status ${code}, ${verses.size} verses): ${stderr.trim() || 'no message'}`);
  return verses;
}

export interface BibleSourceInfo {
  kind: 'bible';
  pair: string;
  alignment: string;
  modules: { lang: string; module: string; package: string; title: string; licence: string; version?: string; description?: string; versification?: string; conf?: string }[];
  verses: Record<string, number>;
  pairs: number;
}

/**
 * Pairs of aligned verses for [src, tgt] (in the source module's order), and a
 * description for meta.json. Throws ENOTINSTALLED naming the missing Debian packages.
 */
export async function readBible(langs: readonly [string, string]): Promise<{ pairs: SentencePair[]; info: BibleSourceInfo }> {
  const check = checkBible(langs);
  if (check.missing.length > 0) throw missingPackagesError(check);
  const [src, tgt] = await Promise.all(langs.map((l) => readSwordModule(BIBLE_MODULES[l].module)));
  const pairs: SentencePair[] = [];
  let n = 0;
  for (const [key, s] of src) {
    n++;
    const t = tgt.get(key);
    if (t !== undefined) pairs.push({ src: s.normalize('NFC'), tgt: t.normalize('NFC'), line: n });
  }
  const info: BibleSourceInfo = {
    kind: 'bible',
    pair: `${langs[0]}-${langs[1]}`,
    alignment: 'verses paired by (book, chapter, verse); verses missing or empty on either side dropped',
    modules: langs.map((l) => {
      const m = BIBLE_MODULES[l];
      const confPath = findSwordModule(m.module);
      const conf = confPath && existsSync(confPath) ? readSwordConf(confPath) : {};
      return {
        ...m,
        version: conf.Version,
        description: conf.Description,
        versification: conf.Versification,
        licence: conf.DistributionLicense ?? m.licence,
      };
    }),
    verses: { [langs[0]]: src.size, [langs[1]]: tgt.size },
    pairs: pairs.length,
  };
  return { pairs, info };
}
