/**
 * The keys the config schema accepts, read from the schema itself: whatever a section gains
 * (`train.threads`, `model.dropPath`) is a known key at once, and "did you mean" suggestions come
 * from the same list.
 */
import type { z } from 'zod';
import { configSchema } from './schema.js';

/** The zod definition fields this walk reads (zod 4's `_zod.def`). */
interface SchemaDef {
  type?: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
}

function defOf(schema: z.ZodType): SchemaDef {
  return (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
}

/** The object schema under optional/nullable/default wrappers, or undefined when it is no object. */
function objectShape(schema: z.ZodType | undefined): Record<string, z.ZodType> | undefined {
  let node = schema;
  for (let depth = 0; node !== undefined && depth < 8; depth++) {
    const def = defOf(node);
    if (def.type === 'object') return def.shape ?? (node as unknown as z.ZodObject).shape;
    if (def.innerType === undefined) return undefined;
    node = def.innerType;
  }
  return undefined;
}

/**
 * The keys of the config section at `path` (`[]` for the top level, `['train']`, `['train',
 * 'augment']`), or an empty list when the path is not an object of the schema.
 */
export function schemaKeysAt(path: readonly PropertyKey[], schema: z.ZodType = configSchema): string[] {
  let shape = objectShape(schema);
  for (const segment of path) {
    shape = objectShape(shape?.[String(segment)]);
    if (shape === undefined) return [];
  }
  return shape === undefined ? [] : Object.keys(shape);
}

/** Every dotted key path of the schema, sections and leaves: `train`, `train.epochs`, `train.ema.decay`, .... */
export function configKeyPaths(schema: z.ZodType = configSchema): string[] {
  const paths: string[] = [];
  const visit = (node: z.ZodType | undefined, prefix: string) => {
    const shape = objectShape(node);
    if (!shape) return;
    for (const [key, child] of Object.entries(shape)) {
      const path = prefix ? `${prefix}.${key}` : key;
      paths.push(path);
      visit(child, path);
    }
  };
  visit(schema, '');
  return paths;
}
