// A small strict XML parser for the tests: enough of XML 1.0 to reject what would break an
// SVG (unbalanced or crossed tags, unquoted or duplicate attributes, a bare '&' or '<',
// unknown entities, forbidden control characters, text outside the root) and to give
// back a tree the tests can query.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: (XmlElement | string)[];
}

const NAME = /^[A-Za-z_:][\w.:-]*/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;

function decode(s: string, where: number): string {
  if (FORBIDDEN.test(s)) throw new Error(`forbidden character near offset ${where}`);
  if (s.includes('<')) throw new Error(`bare '<' near offset ${where}`);
  return s.replace(/&([^;\s&<]*);?/g, (m, ent: string) => {
    if (!m.endsWith(';')) throw new Error(`bare '&' near offset ${where}: ${JSON.stringify(m)}`);
    if (ent in ENTITIES) return ENTITIES[ent];
    const num = /^#(\d+)$/.exec(ent) ?? /^#x([0-9a-fA-F]+)$/.exec(ent);
    if (!num) throw new Error(`unknown entity &${ent}; near offset ${where}`);
    const cp = parseInt(num[1], ent[1] === 'x' ? 16 : 10);
    return String.fromCodePoint(cp);
  });
}

export function parseXml(src: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  const fail = (msg: string): never => {
    throw new Error(`${msg} at offset ${i}: ${JSON.stringify(src.slice(i, i + 40))}`);
  };
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    const text = src.slice(i, lt < 0 ? src.length : lt);
    if (text) {
      const decoded = decode(text, i);
      if (stack.length) stack[stack.length - 1].children.push(decoded);
      else if (decoded.trim()) fail('text outside the root element');
    }
    if (lt < 0) break;
    i = lt;
    if (src.startsWith('<?', i)) {
      const e = src.indexOf('?>', i);
      if (e < 0) fail('unterminated processing instruction');
      i = e + 2;
    } else if (src.startsWith('<!--', i)) {
      const e = src.indexOf('-->', i);
      if (e < 0) fail('unterminated comment');
      i = e + 3;
    } else if (src.startsWith('<!DOCTYPE', i)) {
      i = src.indexOf('>', i) + 1;
    } else if (src.startsWith('</', i)) {
      const m = NAME.exec(src.slice(i + 2));
      if (!m) fail('bad end tag');
      const name = m![0];
      i += 2 + name.length;
      while (/\s/.test(src[i])) i++;
      if (src[i] !== '>') fail('bad end tag');
      i++;
      const open = stack.pop();
      if (!open || open.name !== name) fail(`end tag </${name}> does not match <${open?.name ?? '(none)'}>`);
    } else {
      const m = NAME.exec(src.slice(i + 1));
      if (!m) fail('bad start tag');
      const el: XmlElement = { name: m![0], attrs: {}, children: [] };
      i += 1 + el.name.length;
      for (;;) {
        const ws = /^\s*/.exec(src.slice(i))![0].length;
        i += ws;
        if (src.startsWith('/>', i) || src[i] === '>') break;
        if (!ws) fail('attributes must be separated by white space');
        const a = /^([A-Za-z_:][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/.exec(src.slice(i));
        if (!a) fail('bad attribute');
        if (a![1] in el.attrs) fail(`duplicate attribute ${a![1]}`);
        el.attrs[a![1]] = decode(a![3] ?? a![4], i);
        i += a![0].length;
      }
      const selfClosing = src.startsWith('/>', i);
      i += selfClosing ? 2 : 1;
      if (stack.length) stack[stack.length - 1].children.push(el);
      else if (root) fail('a second root element');
      else root = el;
      if (!selfClosing) stack.push(el);
    }
  }
  if (stack.length) throw new Error(`unclosed <${stack[stack.length - 1].name}>`);
  if (!root) throw new Error('no root element');
  return root;
}

/** Every element below (and including) `el` with the given name, in document order. */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    if (e.name === name) out.push(e);
    for (const c of e.children) if (typeof c !== 'string') walk(c);
  };
  walk(el);
  return out;
}

/** The concatenated text content. */
export function textOf(el: XmlElement): string {
  return el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}
