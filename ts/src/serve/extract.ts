// Which part of a chat message is the sentence to translate.
//
// Rule: if the content has several non-empty lines, the source is everything after the
// last line that ends with ':' (and is not the last line itself), trimmed; otherwise the
// whole content, trimmed. So a bare sentence is translated as it is, and a prompt that
// ends with a marker line, like the openai generator's default
//
//     Translate the following text from German into English. Reply with ...
//     Text:
//     Das ist ein Haus.
//
// gives "Das ist ein Haus.". A source that itself ends with ':' is safe (the marker is
// the last such line *before* it); a source spanning several lines is not supported.

export function extractSource(content: string): string {
  const lines = content.replace(/\r\n?/g, '\n').split('\n');
  let last = lines.length - 1;
  while (last >= 0 && lines[last].trim() === '') last--;
  for (let k = last - 1; k >= 0; k--) {
    if (lines[k].trimEnd().endsWith(':')) return lines.slice(k + 1, last + 1).join('\n').trim();
  }
  return content.trim();
}
