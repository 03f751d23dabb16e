import { escapeHtml } from './html-escape.js';

/** Strings (and whether they are keys), literals, and numbers of JSON text. */
const TOKEN = /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;

/**
 * Pretty JSON of `value` as escaped HTML with `<span>` classes (`k` key, `s` string, `n` number,
 * `l` literal) for light syntax coloring; no script needed.
 */
export function highlightJson(value: unknown): string {
  const text = JSON.stringify(value, null, 2) ?? 'undefined';
  let html = '';
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    const index = match.index ?? 0;
    html += escapeHtml(text.slice(last, index));
    const [whole, string, colon, literal, number] = match;
    if (string !== undefined)
      html += `<span class="${colon ? 'k' : 's'}">${escapeHtml(string)}</span>${colon ?? ''}`;
    else if (literal !== undefined) html += `<span class="l">${literal}</span>`;
    else if (number !== undefined) html += `<span class="n">${number}</span>`;
    last = index + whole.length;
  }
  return html + escapeHtml(text.slice(last));
}
