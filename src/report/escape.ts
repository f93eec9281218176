import { visible, visibleLines } from '../util/terminal.js';

/**
 * Escaping for the text formats (Markdown, HTML, XML). Names, annotations, evidence and messages
 * come from the cluster and may be written to attack a reader: `</code><script>…`, a `|` that
 * splits a table cell, a backtick that ends a code span. Each function makes any string inert
 * in its context. Control characters are first shown as escapes (`visible`), as in the table.
 */

const HTML: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML or XML content and attribute values (quoted with either quote). */
export function escapeHtml(text: string): string {
  return visible(text).replace(/[&<>"']/g, (ch) => HTML[ch]!);
}

/**
 * Characters XML 1.0 does not allow at all, even escaped, that `visible` leaves: lone surrogates
 * and U+FFFE, U+FFFF. Shown as `\u` escapes.
 */
const NOT_XML = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|[\uFFFE\uFFFF]/g;

/** Text for XML content or a double-quoted attribute: well-formed whatever it holds. */
export function escapeXml(text: string): string {
  return escapeHtml(text).replace(NOT_XML, notXml);
}

/**
 * Text of several lines for XML element content: line feeds kept, every other control character
 * shown as an escape. Values from the cluster in it should have been passed through `visible`,
 * so that none adds a line of its own.
 */
export function escapeXmlLines(text: string): string {
  return visibleLines(text)
    .replace(/[&<>]/g, (ch) => HTML[ch]!)
    .replace(NOT_XML, notXml);
}

function notXml(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * Markdown prose: `<`, `>` and `&` as entities (no raw HTML, no entity of the writer's), and
 * behind a backslash what GitHub gives a meaning to in running text: emphasis, code, links,
 * table cells, strikethrough, mentions and issue references.
 */
export function markdownText(text: string): string {
  return visible(text)
    .replace(/[&<>]/g, (ch) => HTML[ch]!)
    .replace(/[\\`*_[\]#|~@]/g, (ch) => `\\${ch}`);
}

/**
 * A Markdown code span holding `text` exactly: fenced with one backtick more than the longest run
 * inside, padded with a space when it starts or ends with a backtick or a space. In a table cell
 * (`inTable`), `|` is escaped, which GitHub's tables read inside code spans too.
 */
export function codeSpan(text: string, inTable = false): string {
  let body = visible(text);
  if (body === '') return '*(empty)*';
  if (inTable) body = body.replaceAll('|', '\\|');
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = /^[` ]|[` ]$/.test(body) ? ' ' : '';
  return `${fence}${pad}${body}${pad}${fence}`;
}
