import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageInfo } from '../services/data-source.js';
import { isErrnoException, writeFileAtomic } from '../store/atomic-write.js';

/** What inspecting one image found: its shape, or why it cannot be decoded. */
export type InspectionResult = ({ ok: true } & ImageInfo) | { ok: false; reason: string };

const CACHE_FILE = 'inspected.json';

interface CacheFileContent {
  format: 'mlops-inspected/1';
  /** Content hash → result. */
  results: Record<string, InspectionResult>;
}

/**
 * Inspection results by file content hash, in `<cacheDir>/inspected.json`: an image that was
 * decoded once is never decoded again while its bytes are unchanged, wherever the file moves.
 * Failures are cached too; the same bytes fail the same way.
 */
export class InspectionCache {
  private dirty = false;

  private constructor(
    private readonly file: string | undefined,
    private readonly results: Map<string, InspectionResult>,
  ) {}

  /** Opens the cache in `cacheDir`; with no directory it lives in memory only. */
  static async open(cacheDir: string | undefined): Promise<InspectionCache> {
    const file = cacheDir === undefined ? undefined : join(cacheDir, CACHE_FILE);
    const results = new Map<string, InspectionResult>();
    if (file !== undefined) {
      try {
        const content = JSON.parse(await readFile(file, 'utf8')) as Partial<CacheFileContent>;
        if (
          content.format === 'mlops-inspected/1' &&
          content.results &&
          typeof content.results === 'object'
        ) {
          for (const [hash, result] of Object.entries(content.results)) results.set(hash, result);
        }
      } catch (error) {
        // A missing or damaged cache only costs a re-inspection.
        if (!isErrnoException(error, 'ENOENT') && !(error instanceof SyntaxError)) throw error;
      }
    }
    return new InspectionCache(file, results);
  }

  /** The cached result for content with this hash. */
  get(hash: string): InspectionResult | undefined {
    return this.results.get(hash);
  }

  /** Records a result. */
  set(hash: string, result: InspectionResult): void {
    this.results.set(hash, result);
    this.dirty = true;
  }

  /** Writes the cache back (atomically) if anything was added. */
  async save(): Promise<void> {
    if (this.file === undefined || !this.dirty) return;
    const content: CacheFileContent = {
      format: 'mlops-inspected/1',
      results: Object.fromEntries(this.results),
    };
    await writeFileAtomic(this.file, JSON.stringify(content));
    this.dirty = false;
  }
}
