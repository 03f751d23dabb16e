/**
 * What the bucket registry stores per model: one object, `registry/models/<name>/model.json`,
 * holding the model file (the same {@link ModelFile} the local registry writes), its alias history
 * and the id of the write that produced it. Keeping the history in the same object makes every
 * mutation one conditional write: either the state and its history both change or neither does.
 */
import { type AliasMove, MlopsError, MODEL_FILE_FORMAT, type ModelFile } from '@mlops/core';

/** Format marker of {@link RegistryDocument}. */
export const REGISTRY_DOCUMENT_FORMAT = 'mlops-gcs-model/1';

/** The stored object. */
export interface RegistryDocument {
  /** Format marker. */
  format: typeof REGISTRY_DOCUMENT_FORMAT;
  /** Versions and aliases. */
  model: ModelFile;
  /** Every alias move, oldest first. */
  history: AliasMove[];
  /**
   * Random id of the write that stored this document. A write whose response was lost (and whose
   * retry then failed its precondition) recognizes its own success by finding its id here.
   */
  writeId: string;
}

/** Parses a stored document; `MLOPS_ERR_STORE_CORRUPT` naming the object when it is not one. */
export function parseRegistryDocument(bytes: Uint8Array, url: string): RegistryDocument {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    value = undefined;
  }
  const doc = value as Partial<RegistryDocument> | undefined;
  if (
    doc?.format !== REGISTRY_DOCUMENT_FORMAT ||
    doc.model?.format !== MODEL_FILE_FORMAT ||
    !Array.isArray(doc.model.versions) ||
    typeof doc.model.aliases !== 'object' ||
    !Array.isArray(doc.history)
  ) {
    throw new MlopsError(
      'MLOPS_ERR_STORE_CORRUPT',
      `${url} is not a registry model document (${REGISTRY_DOCUMENT_FORMAT})`,
      {
        hint: 'Restore an earlier generation of the object (bucket versioning) or delete it to start the model afresh.',
      },
    );
  }
  return doc as RegistryDocument;
}
