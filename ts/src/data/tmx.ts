// A streaming TMX reader: <tu> translation units, each with <tuv xml:lang="..."> (or
// TMX 1.1's lang="...") holding a <seg>. No DOM is built: the file is decoded chunk by
// chunk and scanned tag by tag, holding at most one unit's markup at a time.
//
// Inside <seg>, the text of inline formatting elements that carry native codes
// (<bpt>, <ept>, <ph>, <it>, <ut>) and of sub-flows (<sub>) is left out; the text of
// <hi> and other elements is kept. Character references and the five XML entities are
// decoded; any other entity is an error naming the file and line. A unit that lacks
// one of the two languages is skipped (and counted: see TmxStats).
import { open } from 'node:fs/promises';

import { CorpusError, openError } from '../common/file_errors.js';
import type { SentencePair } from './corpus.js';
import { nfc, readUtf8 } from '../common/text.js';

const SKIP_IN_SEG = new Set(['bpt', 'ept', 'ph', 'it', 'ut', 'sub']);

export interface TmxStats {
  /** <tu> elements seen. */
  units: number;
  /** Units without a <tuv> in one of the two languages. */
  missingLanguage: number;
}

/** True when a TMX language tag (es, es-ES, ES_es) is the language asked for (es, es-ES). */
export function langMatches(tag: string, want: string): boolean {
  const t = tag.toLowerCase().replace(/_/g, '-');
  const w = want.toLowerCase().replace(/_/g, '-');
  return t === w || t.startsWith(w + '-');
}

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes XML character and entity references; `fail` makes the error for a bad one. */
export function decodeEntities(s: string, fail: (msg: string) => Error): string {
  if (s.indexOf('&') < 0) return s;
  return s.replace(/&([^;&<\s]*);?/g, (m: string, name: string) => {
    if (!m.endsWith(';')) throw fail(`unterminated entity reference '${m.slice(0, 20)}'`);
    if (name.startsWith('#')) {
      const hex = name[1] === 'x' || name[1] === 'X';
      const digits = name.slice(hex ? 2 : 1);
      if (!(hex ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/).test(digits)) throw fail(`malformed character reference '${m}'`);
      const cp = parseInt(digits, hex ? 16 : 10);
      if (cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw fail(`character reference '${m}' is not a valid character`);
      return String.fromCodePoint(cp);
    }
    const v = NAMED[name];
    if (v === undefined) throw fail(`unknown entity '${m}' (TMX allows &lt; &gt; &amp; &quot; &apos; and character references)`);
    return v;
  });
}

function attr(attrs: string, name: string): string | undefined {
  const re = new RegExp(`(?:^|\\s)${name.replace(':', '\\:')}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`);
  const m = re.exec(attrs);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** Decoded text of a TMX file: UTF-8 (strictly checked), or UTF-16 when it starts with a byte-order mark. */
async function* decodedText(file: string): AsyncGenerator<string> {
  let head: Buffer;
  try {
    const fh = await open(file, 'r');
    try {
      head = Buffer.alloc(2);
      await fh.read(head, 0, 2, 0);
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw openError(file, e);
  }
  const le = head[0] === 0xff && head[1] === 0xfe;
  const be = head[0] === 0xfe && head[1] === 0xff;
  if (!le && !be) {
    yield* readUtf8(file);
    return;
  }
  const fh = await open(file, 'r');
  try {
    const dec = new TextDecoder(le ? 'utf-16le' : 'utf-16be', { fatal: true });
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      let s: string;
      try {
        s = dec.decode(buf.subarray(0, bytesRead), { stream: bytesRead > 0 });
      } catch {
        throw new CorpusError('EFORMAT', file, undefined, `invalid UTF-${le ? '16LE' : '16BE'} text`);
      }
      if (s.length > 0) yield s;
      if (bytesRead === 0) break;
    }
  } finally {
    await fh.close();
  }
}

/**
 * The pairs of a TMX file for languages [src, tgt]. `stats`, when given, is filled in
 * as the file is read.
 */
export async function* readTmx(file: string, langs: readonly [string, string], stats?: TmxStats): AsyncGenerator<SentencePair> {
  const st: TmxStats = stats ?? { units: 0, missingLanguage: 0 };
  const chunks = decodedText(file);
  let buf = '';
  let pos = 0; // scan position in buf
  let line = 1; // line number at `pos`
  let eof = false;
  let pairs = 0;

  const advance = (to: number) => {
    let i = buf.indexOf('\n', pos);
    while (i >= 0 && i < to) {
      line++;
      i = buf.indexOf('\n', i + 1);
    }
    pos = to;
  };
  const more = async (): Promise<boolean> => {
    if (eof) return false;
    const r = await chunks.next();
    if (r.done) {
      eof = true;
      return false;
    }
    buf = buf.slice(pos) + r.value;
    pos = 0;
    return true;
  };
  /** Index of `needle` at or after `from`, reading more text as needed; -1 at end of file. */
  const find = async (needle: string, from: number): Promise<number> => {
    let off = from - pos;
    for (;;) {
      const i = buf.indexOf(needle, pos + off);
      if (i >= 0) return i;
      off = Math.max(0, buf.length - pos - needle.length + 1);
      if (!(await more())) return -1;
    }
  };
  const err = (msg: string, at = line) => new CorpusError('EFORMAT', file, at, msg);

  // Parser state.
  const stack: string[] = [];
  let tuLine = 0;
  let inTu = false;
  let tuvLang: string | undefined;
  let segDepth = 0; // > 0 inside <seg>
  let skipDepth = 0; // > 0 inside an element whose text is left out
  let seg = '';
  let segs = new Map<string, string>();
  let sawRoot = false;

  const text = (raw: string, at: number) => {
    if (segDepth > 0 && skipDepth === 0) seg += decodeEntities(raw, (msg) => err(msg, at));
  };

  try {
    for (;;) {
      const lt = await find('<', pos);
      if (lt < 0) {
        if (buf.slice(pos).trim() !== '' && segDepth > 0) throw err('unexpected end of file inside <seg>');
        break;
      }
      if (lt > pos) {
        const startLine = line;
        const raw = buf.slice(pos, lt);
        text(raw, startLine);
        advance(lt);
      }
      // buf[pos] === '<'
      if (buf.length - pos < 9) await more();
      if (buf.startsWith('<!--', pos)) {
        const end = await find('-->', pos + 4);
        if (end < 0) throw err('unterminated comment <!--');
        advance(end + 3);
        continue;
      }
      if (buf.startsWith('<![CDATA[', pos)) {
        const end = await find(']]>', pos + 9);
        if (end < 0) throw err('unterminated <![CDATA[ section');
        if (segDepth > 0 && skipDepth === 0) seg += buf.slice(pos + 9, end);
        advance(end + 3);
        continue;
      }
      if (buf.startsWith('<?', pos)) {
        const end = await find('?>', pos + 2);
        if (end < 0) throw err('unterminated processing instruction <?');
        advance(end + 2);
        continue;
      }
      if (buf.startsWith('<!', pos)) {
        // <!DOCTYPE ...> possibly with an internal subset [...]
        let depth = 0;
        let i = pos + 2;
        for (;;) {
          if (i >= buf.length) {
            const before = buf.length - pos;
            if (!(await more())) throw err('unterminated <!DOCTYPE declaration');
            i = pos + before;
            continue;
          }
          const c = buf[i];
          if (c === '[') depth++;
          else if (c === ']') depth--;
          else if (c === '>' && depth <= 0) break;
          i++;
        }
        advance(i + 1);
        continue;
      }
      const gt = await find('>', pos + 1);
      if (gt < 0) throw err('unterminated tag (no closing >)');
      const tag = buf.slice(pos + 1, gt);
      const tagLine = line;
      advance(gt + 1);
      if (tag.startsWith('/')) {
        const name = tag.slice(1).trim();
        const open = stack.pop();
        if (open !== name) throw err(open === undefined ? `closing tag </${name}> without an opening tag` : `closing tag </${name}> does not match <${open}>`, tagLine);
        if (skipDepth > 0) {
          skipDepth--;
          continue;
        }
        if (name === 'seg' && segDepth > 0) {
          segDepth--;
          if (segDepth === 0 && tuvLang !== undefined && !segs.has(tuvLang)) segs.set(tuvLang, seg);
        } else if (segDepth > 0) {
          // end of inline element
        } else if (name === 'tuv') tuvLang = undefined;
        else if (name === 'tu') {
          inTu = false;
          st.units++;
          let src: string | undefined;
          let tgt: string | undefined;
          for (const [l, s] of segs) {
            if (src === undefined && langMatches(l, langs[0])) src = s;
            else if (tgt === undefined && langMatches(l, langs[1])) tgt = s;
          }
          segs = new Map();
          if (src === undefined || tgt === undefined) st.missingLanguage++;
          else {
            pairs++;
            yield { src: nfc(src), tgt: nfc(tgt), line: tuLine };
          }
        }
        continue;
      }
      const selfClosing = tag.endsWith('/');
      const body = selfClosing ? tag.slice(0, -1) : tag;
      const m = /^([A-Za-z_][\w:.-]*)([\s\S]*)$/.exec(body);
      if (!m) throw err(`malformed tag <${tag.slice(0, 40)}>`, tagLine);
      const name = m[1];
      const attrs = m[2];
      if (!sawRoot) {
        if (name !== 'tmx') throw err(`not a TMX file: the root element is <${name}>, expected <tmx>`, tagLine);
        sawRoot = true;
      }
      if (selfClosing) continue;
      stack.push(name);
      if (skipDepth > 0) {
        skipDepth++;
        continue;
      }
      if (segDepth > 0) {
        if (name === 'seg') segDepth++;
        else if (SKIP_IN_SEG.has(name)) skipDepth = 1;
        continue;
      }
      if (name === 'tu') {
        if (inTu) throw err('<tu> inside <tu>', tagLine);
        inTu = true;
        tuLine = tagLine;
        segs = new Map();
      } else if (name === 'tuv') {
        if (!inTu) throw err('<tuv> outside <tu>', tagLine);
        const l = attr(attrs, 'xml:lang') ?? attr(attrs, 'lang');
        if (l === undefined) throw err('<tuv> without an xml:lang attribute', tagLine);
        tuvLang = l;
      } else if (name === 'seg') {
        if (tuvLang === undefined) throw err('<seg> outside <tuv>', tagLine);
        segDepth = 1;
        seg = '';
      } else if (name === 'note' || name === 'prop') skipDepth = 1;
    }
    if (!sawRoot) throw new CorpusError('EFORMAT', file, undefined, 'not a TMX file: no <tmx> element');
    if (stack.length > 0) throw err(`unexpected end of file: <${stack[stack.length - 1]}> is not closed`);
    if (pairs === 0) {
      const why = st.units === 0 ? 'it has no <tu> units' : `none of its ${st.units} units has both languages ${langs[0]} and ${langs[1]}`;
      throw new CorpusError('EFORMAT', file, undefined, `the corpus is empty: ${why}`);
    }
  } finally {
    await chunks.return(undefined);
  }
}
