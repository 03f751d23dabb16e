/** A JSON-serialisable value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * User-defined metadata stored in `model.json` (`userDefinedMetadata`). Top-level values must be
 * non-null, as tfjs's `ModelArtifacts.userDefinedMetadata` requires.
 */
export type ModelMetadata = Record<string, NonNullable<JsonValue>>;
