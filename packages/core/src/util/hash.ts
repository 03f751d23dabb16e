import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stableStringify } from './json.js';

/** sha256 of bytes or a string, as lowercase hex. */
export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 of a file's content, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** sha256 of a value's stable JSON form: equal values give equal hashes whatever their key order. */
export function hashJson(value: unknown): string {
  return sha256(stableStringify(value));
}
