import type { IncomingMessage } from 'node:http';

/**
 * Reads and discards what is left of a request body, up to `limit` bytes; false when the body was
 * longer (the rest is left unread, so the connection must close).
 */
export function drainBody(raw: IncomingMessage, limit: number): Promise<boolean> {
  if (raw.complete) return Promise.resolve(true);
  return new Promise((resolve) => {
    let seen = 0;
    const done = (complete: boolean) => {
      raw.off('data', count);
      resolve(complete);
    };
    const count = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > limit) {
        raw.pause();
        done(false);
      }
    };
    raw.on('data', count);
    raw.once('end', () => done(true));
    raw.once('close', () => done(raw.complete));
    raw.once('error', () => done(false));
    raw.resume();
  });
}
