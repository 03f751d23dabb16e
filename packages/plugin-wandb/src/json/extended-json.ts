/**
 * The JSON dialect of W&B's run files (`wandb-history.jsonl`, `wandb-summary.json`): plain JSON
 * plus the bare numbers `NaN`, `Infinity` and `-Infinity`. The wandb SDK writes history rows and
 * the summary this way (wandb-core's `RunHistory.ToExtendedJSON` / `RunSummary.Serialize` through
 * `simplejsonext`; the legacy Python sender with `json.dumps`, which allows NaN), so a diverging
 * loss is a number on the server — a gap in the chart — not the string `"NaN"`, which would turn
 * the whole series into text.
 */

/** `value` as extended JSON: like `JSON.stringify`, but non-finite numbers are written bare. */
export function stringifyExtendedJson(value: unknown): string {
  return write(value) ?? 'null';
}

/** Parses extended JSON (plain JSON too); bare `NaN`/`Infinity`/`-Infinity` become numbers. */
export function parseExtendedJson<T = unknown>(text: string): T {
  // A placeholder no real string can hold: a fresh nonce each call.
  const marker = `\u0000x-json-${Math.random().toString(36).slice(2)}:`;
  let found = false;
  const plain = text.replace(/"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g, (token) => {
    if (token.startsWith('"')) return token;
    found = true;
    return JSON.stringify(`${marker}${token}`);
  });
  if (!found) return JSON.parse(text) as T;
  return JSON.parse(plain, (_key, value: unknown) =>
    typeof value === 'string' && value.startsWith(marker) ? Number(value.slice(marker.length)) : value,
  ) as T;
}

function write(value: unknown): string | undefined {
  switch (typeof value) {
    case 'number':
      if (Number.isFinite(value)) return JSON.stringify(value);
      return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'bigint':
      return value.toString();
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  if (value === null) return 'null';
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') return write(withToJson.toJSON());
  if (Array.isArray(value)) return `[${value.map((item) => write(item) ?? 'null').join(',')}]`;
  const parts: string[] = [];
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const text = write(item);
    if (text !== undefined) parts.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${parts.join(',')}}`;
}
