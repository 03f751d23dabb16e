/**
 * A deterministic tar writer (POSIX ustar, with a pax header for paths that do not fit), for the
 * build context Cloud Build unpacks. Entries are written in the order given with mtime 0, owner
 * root and modes 0644/0755 only, so the same files always give the same bytes, and the bytes'
 * hash can name the image built from them.
 */

/** One regular file of the archive. */
export interface TarEntry {
  /** Path inside the archive, `/`-separated, relative. */
  path: string;
  /** Content. */
  data: Uint8Array;
  /** Whether the file is executable (mode 0755 instead of 0644). */
  executable?: boolean;
}

const BLOCK = 512;

/** The archive: every entry, then two zero blocks. */
export function writeTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength);
    const name = splitUstarName(entry.path);
    if (!name) {
      const pax = paxRecord('path', entry.path);
      parts.push(header({ name: 'PaxHeader', size: pax.length, type: 'x', mode: 0o644 }), pad(pax));
    }
    parts.push(
      header({
        name: name?.name ?? entry.path.slice(-100),
        prefix: name?.prefix ?? '',
        size: data.length,
        type: '0',
        mode: entry.executable ? 0o755 : 0o644,
      }),
      pad(data),
    );
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

/** ustar keeps 100 bytes of name and 155 of prefix, split at a `/`; undefined when it cannot. */
function splitUstarName(path: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { name, prefix };
  }
  return undefined;
}

/** A pax record `<len> key=value\n`, where len counts the whole record. */
function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length += 1;
  return Buffer.from(`${length}${body}`);
}

function header(fields: { name: string; prefix?: string; size: number; type: string; mode: number }): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(fields.name, 0, 100, 'utf8');
  octal(block, 100, 8, fields.mode);
  octal(block, 108, 8, 0); // uid
  octal(block, 116, 8, 0); // gid
  octal(block, 124, 12, fields.size);
  octal(block, 136, 12, 0); // mtime
  block.fill(' ', 148, 156); // checksum placeholder
  block.write(fields.type, 156, 1, 'ascii');
  block.write('ustar\u000000', 257, 8, 'ascii');
  block.write(fields.prefix ?? '', 345, 155, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return block;
}

function octal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, offset, length, 'ascii');
}

function pad(data: Buffer): Buffer {
  const rest = data.length % BLOCK;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - rest)]);
}
