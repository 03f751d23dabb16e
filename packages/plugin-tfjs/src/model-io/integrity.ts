import { createHash } from 'node:crypto';

/**
 * Checksums we add to `model.json` under this extra top-level key. tfjs loaders (tfjs-node,
 * browser http) ignore unknown keys, so files stay interoperable, while our loader can tell a
 * bit-flipped `weights.bin` of the right size from a good one.
 */
export const INTEGRITY_KEY = 'mlopsIntegrity';

/** Shape of the integrity record: SHA-256 hex digest per weights file name. */
export interface IntegrityRecord {
  sha256: Record<string, string>;
}

/** Hex SHA-256 of a byte buffer. */
export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
