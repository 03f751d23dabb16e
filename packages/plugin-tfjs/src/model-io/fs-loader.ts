import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { MlopsError } from '@mlops/core';
import { io } from '@tensorflow/tfjs-core';
import { tfjsErrors } from '../errors.js';
import { parkedPrefix } from './atomic-dir.js';
import { INTEGRITY_KEY, sha256Hex } from './integrity.js';
import { MODEL_JSON_FILE, parseModelJson, type StoredModelJson } from './model-json.js';
import { expectedWeightBytes } from './weight-bytes.js';

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Points at the previous version if a save was interrupted between its two renames. */
async function interruptedSaveHint(dir: string): Promise<string> {
  const prefix = parkedPrefix(dir);
  const siblings = await readdir(dirname(dir)).catch(() => []);
  const parked = siblings.find((name) => name.startsWith(prefix));
  return parked ? ` (an interrupted save left the previous model in ${join(dirname(dir), parked)})` : '';
}

/** What to do about a saved model whose files are missing, damaged or edited. */
const RESAVE_HINT =
  'Save or export the model again (mlops run export --force); the saved files are incomplete or were changed.';

/** Resolves a manifest path inside `dir`, refusing anything that escapes it. */
function weightsPath(dir: string, jsonPath: string, relative: string): string {
  const clean = normalize(relative);
  if (isAbsolute(clean) || clean === '..' || clean.startsWith(`..${sep}`)) {
    throw new MlopsError(
      'MLOPS_ERR_STORE_CORRUPT',
      `Corrupt model file ${jsonPath}: weights path '${relative}' points outside ${dir}`,
      { file: jsonPath, hint: RESAVE_HINT },
    );
  }
  return join(dir, clean);
}

async function readWeightsFile(path: string, jsonPath: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    if (isMissing(err))
      throw new MlopsError(
        'MLOPS_ERR_STORE_CORRUPT',
        `Missing weights file ${path} (listed in ${jsonPath})`,
        { file: path, hint: RESAVE_HINT },
      );
    throw err;
  }
}

async function readManifest(
  dir: string,
  jsonPath: string,
  modelJson: StoredModelJson,
  manifest: io.WeightsManifestConfig,
): Promise<[io.WeightsManifestEntry[], ArrayBuffer]> {
  const checksums = modelJson[INTEGRITY_KEY]?.sha256 ?? {};
  const specs: io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const group of manifest) {
    const paths = group.paths.map((p) => weightsPath(dir, jsonPath, p));
    const groupChunks = await Promise.all(paths.map((path) => readWeightsFile(path, jsonPath)));
    // Size first: "truncated to N bytes" says more than a checksum mismatch would.
    const found = groupChunks.reduce((n, c) => n + c.byteLength, 0);
    const expected = expectedWeightBytes(group.weights);
    if (expected !== undefined && expected !== found) {
      throw new MlopsError(
        'MLOPS_ERR_STORE_CORRUPT',
        `Corrupt weights file ${paths.join(', ')}: ${jsonPath} describes ${expected} bytes of weights, found ${found}`,
        { file: paths[0], hint: RESAVE_HINT },
      );
    }
    groupChunks.forEach((chunk, i) => {
      const recorded = checksums[group.paths[i]!];
      if (recorded !== undefined && sha256Hex(chunk) !== recorded) {
        throw new MlopsError(
          'MLOPS_ERR_STORE_CORRUPT',
          `Corrupt weights file ${paths[i]}: SHA-256 does not match the checksum recorded in ${jsonPath}`,
          { file: paths[i], hint: RESAVE_HINT },
        );
      }
    });
    specs.push(...group.weights);
    chunks.push(...groupChunks);
  }
  // Copy into one exact-size ArrayBuffer: Node Buffers may be views into a larger shared pool.
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return [specs, out.buffer];
}

/**
 * A tfjs `IOHandler` that loads a model saved by `fileSystemSaver` — or by tfjs-node's `file://`
 * handler or the tfjs converter (several manifest groups and shards are supported). Checks that
 * the weights files exist, have the byte size the manifest implies and, when recorded, the right
 * SHA-256; every failure is an Error naming the offending path and what is wrong.
 */
export function fileSystemLoader(dir: string): io.IOHandler {
  const root = resolve(dir);
  return {
    async load(): Promise<io.ModelArtifacts> {
      const jsonPath = join(root, MODEL_JSON_FILE);
      let text: string;
      try {
        text = await readFile(jsonPath, 'utf8');
      } catch (err) {
        if (isMissing(err)) {
          throw tfjsErrors.create(
            'MLOPS_TFJS_ERR_MODEL_NOT_FOUND',
            `No saved model at ${root}: ${basename(jsonPath)} not found${await interruptedSaveHint(root)}`,
            { file: jsonPath },
          );
        }
        throw err;
      }
      const modelJson = parseModelJson(text, jsonPath);
      return io.getModelArtifactsForJSON(modelJson, (manifest) =>
        readManifest(root, jsonPath, modelJson, manifest),
      );
    },
  };
}
