// Escaping for every place corpus text or a user-chosen name ends up: XML/SVG, HTML and
// markdown table cells. Corpus text is untrusted: a test sentence may well contain markup.

const XML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

// Characters XML 1.0 forbids even as references (C0 controls except tab, LF, CR; lone
// surrogates; U+FFFE/U+FFFF): one stray byte would make the whole SVG unparseable.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text or attribute value for XML (SVG); also valid in HTML. Forbidden characters become U+FFFD. */
export function escapeXml(s: string): string {
  return String(s)
    .replace(FORBIDDEN, '\ufffd')
    .replace(/[&<>"']/g, (c) => XML[c]);
}

/** HTML text or attribute value (the same escaping; HTML is parsed from the same characters). */
export const escapeHtml = escapeXml;

/**
 * A markdown table cell: line breaks become spaces, and the characters that would end the
 * cell or start markup (| \ ` * _ [ ] < > &) get a backslash, which CommonMark and GFM
 * turn back into the literal character.
 */
export function escapeMarkdownCell(s: string): string {
  return String(s)
    .replace(/\r\n|[\r\n]/g, ' ')
    .replace(/[\\|`*_[\]<>&~]/g, (c) => `\\${c}`);
}
