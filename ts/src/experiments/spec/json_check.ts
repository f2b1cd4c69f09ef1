// Strict JSON syntax check that says where the first error is. JSON.parse's messages
// do not always carry a position (V8: `Unexpected token ']', ..."[1, 2,]" is not valid
// JSON`), and the YAML parser that gives spec fields their lines accepts what JSON
// forbids (trailing commas, comments, single quotes).

export interface JsonSyntaxError {
  offset: number;
  message: string;
}

class Fail {
  constructor(
    readonly offset: number,
    readonly message: string,
  ) {}
}

/** The first syntax error of `text` as JSON, or null when it is valid JSON. */
export function jsonSyntaxError(text: string): JsonSyntaxError | null {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const what = () => (i >= text.length ? 'the end of the file' : `'${text[i]}'`);
  const expect = (c: string, context: string) => {
    if (text[i] !== c) throw new Fail(i, `expected '${c}' ${context}, found ${what()}`);
    i++;
  };
  const string = () => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) throw new Fail(i, 'control character in a string (write it as an escape such as \\n)');
      if (text[i] === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw new Fail(i, 'bad \\u escape: expected 4 hex digits');
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) throw new Fail(i, `bad escape '\\${e ?? ''}' in a string`);
        i += 2;
        continue;
      }
      i++;
    }
    if (i >= text.length) throw new Fail(start, 'unterminated string');
    i++;
  };
  const value = (depth: number): void => {
    if (depth > 1000) throw new Fail(i, 'nested too deeply');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') throw new Fail(i, text[i] === '}' ? 'trailing comma before }' : `expected a quoted property name, found ${what()}`);
        string();
        ws();
        expect(':', 'after a property name');
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        expect('}', 'or \',\' in an object');
        return;
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] === ']') throw new Fail(i, 'trailing comma before ]');
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        expect(']', "or ',' in a list");
        return;
      }
    }
    if (c === '"') return string();
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (m && m[0] !== '' && m[0] !== '-') {
      i += m[0].length;
      return;
    }
    for (const lit of ['true', 'false', 'null']) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return;
      }
    }
    throw new Fail(i, `expected a value, found ${what()}`);
  };
  try {
    value(0);
    ws();
    if (i < text.length) throw new Fail(i, `unexpected ${what()} after the end of the JSON value`);
    return null;
  } catch (e) {
    if (e instanceof Fail) return { offset: e.offset, message: e.message };
    throw e;
  }
}
