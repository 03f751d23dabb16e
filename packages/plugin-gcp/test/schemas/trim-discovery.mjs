#!/usr/bin/env node
/**
 * Trims a Google API discovery document to the methods the plugin calls and the schemas they
 * reference (transitively), keeping every field, type, format, enum, readOnly flag and the start
 * of each description (where "Required." and "Output only." are stated). The result is a test
 * fixture: the fakes validate request bodies against it.
 *
 *   node trim-discovery.mjs <discovery.json> <out.json> <source> <method id>...
 *
 * <source> names where the document came from (repository, path, commit), recorded in the
 * fixture as `x-mlops-source` next to the document's own `revision`.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const [input, output, source, ...wanted] = process.argv.slice(2);
if (!input || !output || !source || wanted.length === 0) {
  console.error('usage: trim-discovery.mjs <discovery.json> <out.json> <source> <method id>...');
  process.exit(2);
}
const doc = JSON.parse(readFileSync(input, 'utf8'));
const DESCRIPTION_CHARS = 200;
const short = (text) =>
  typeof text === 'string' && text.length > DESCRIPTION_CHARS ? `${text.slice(0, DESCRIPTION_CHARS)}…` : text;

const found = new Map();
function walk(resources, path, out) {
  for (const [name, resource] of Object.entries(resources ?? {})) {
    const methods = {};
    for (const [m, def] of Object.entries(resource.methods ?? {})) {
      if (!wanted.includes(def.id)) continue;
      found.set(def.id, def);
      const parameters = {};
      for (const [p, param] of Object.entries(def.parameters ?? {})) {
        parameters[p] = { ...param, description: short(param.description) };
      }
      methods[m] = {
        id: def.id,
        httpMethod: def.httpMethod,
        path: def.path,
        flatPath: def.flatPath,
        parameters,
        ...(def.request ? { request: def.request } : {}),
        ...(def.response ? { response: def.response } : {}),
        description: short(def.description),
      };
    }
    const sub = {};
    walk(resource.resources, `${path}${name}.`, sub);
    if (Object.keys(methods).length || Object.keys(sub).length) {
      out[name] = {
        ...(Object.keys(methods).length ? { methods } : {}),
        ...(Object.keys(sub).length ? { resources: sub } : {}),
      };
    }
  }
}
const resources = {};
walk(doc.resources, '', resources);
const missing = wanted.filter((id) => !found.has(id));
if (missing.length) {
  console.error(`not in ${input}: ${missing.join(', ')}`);
  process.exit(1);
}

const schemas = {};
function collect(ref) {
  if (!ref || schemas[ref]) return;
  const schema = doc.schemas[ref];
  if (!schema) throw new Error(`no schema ${ref}`);
  schemas[ref] = trimSchema(schema);
  visit(schema);
}
function visit(node) {
  if (!node || typeof node !== 'object') return;
  if (node.$ref) collect(node.$ref);
  for (const p of Object.values(node.properties ?? {})) visit(p);
  if (node.items) visit(node.items);
  if (node.additionalProperties) visit(node.additionalProperties);
}
function trimSchema(schema) {
  const copy = (node) => {
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === 'enumDescriptions' || k === 'enumDeprecated') continue;
      if (k === 'description') out[k] = short(v);
      else if (k === 'properties')
        out[k] = Object.fromEntries(Object.entries(v).map(([n, p]) => [n, copy(p)]));
      else if ((k === 'items' || k === 'additionalProperties') && typeof v === 'object') out[k] = copy(v);
      else out[k] = v;
    }
    return out;
  };
  return copy(schema);
}
for (const def of found.values()) {
  collect(def.request?.$ref);
  collect(def.response?.$ref);
}

const trimmed = {
  'x-mlops-source': source,
  kind: doc.kind,
  discoveryVersion: doc.discoveryVersion,
  id: doc.id,
  name: doc.name,
  version: doc.version,
  revision: doc.revision,
  rootUrl: doc.rootUrl,
  servicePath: doc.servicePath,
  parameters: Object.fromEntries(
    Object.entries(doc.parameters ?? {}).map(([k, p]) => [k, { ...p, description: short(p.description) }]),
  ),
  resources,
  schemas: Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b))),
};
writeFileSync(output, `${JSON.stringify(trimmed, null, 2)}\n`);
console.log(`${output}: ${found.size} methods, ${Object.keys(schemas).length} schemas`);
