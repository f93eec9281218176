import { createHash } from 'node:crypto';
import { escapeHtml as h } from './escape.js';

/**
 * One self-contained HTML page: its own style and script inline, allowed by their hashes in a
 * Content-Security-Policy that forbids everything else (no network, no other script, no images).
 * The audit report and the fleet report are both written with it.
 */
export function htmlPage(page: { title: string; style: string; script?: string; body: readonly string[] }): string {
  const csp = [
    "default-src 'none'",
    `style-src '${sha256(page.style)}'`,
    ...(page.script !== undefined ? [`script-src '${sha256(page.script)}'`] : []),
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="${h(csp)}">`,
    `<title>${h(page.title)}</title>`,
    `<style>${page.style}</style>`,
    '</head>',
    '<body>',
    ...page.body,
    ...(page.script !== undefined ? [`<script>${page.script}</script>`] : []),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function sha256(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}
