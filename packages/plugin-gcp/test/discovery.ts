/**
 * Test helper: Google's published API schemas (discovery documents, trimmed to what the plugin
 * calls; see schemas/README.md) as a validator. A request is matched to its method by HTTP method
 * and `flatPath`; its query parameters must be declared (with the declared type, enum and, for
 * `google-fieldmask` values, field paths that exist in the request schema); its body must match
 * the request schema: no unknown fields, no output-only (`readOnly`) fields, every field whose
 * description starts with "Required." present, the JSON types of the discovery format (int64 as a
 * decimal string, durations as `<seconds>s`, enums by value). Responses the fakes answer are
 * checked the same way, minus the input-only rules, so the fakes stay true to the API too.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A property or schema of a discovery document. */
interface SchemaNode {
  id?: string;
  type?: string;
  format?: string;
  $ref?: string;
  enum?: string[];
  items?: SchemaNode;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode;
  readOnly?: boolean;
  description?: string;
}

/** A method of a discovery document. */
export interface DiscoveryMethod {
  id: string;
  httpMethod: string;
  flatPath?: string;
  path: string;
  parameters?: Record<string, SchemaNode & { location?: string; required?: boolean }>;
  request?: { $ref: string };
  response?: { $ref: string };
}

/** A (trimmed) discovery document. */
export interface DiscoveryDocument {
  'x-mlops-source': string;
  name: string;
  version: string;
  revision: string;
  parameters: Record<string, SchemaNode & { location?: string }>;
  resources: Record<string, DiscoveryResource>;
  schemas: Record<string, SchemaNode>;
}

interface DiscoveryResource {
  methods?: Record<string, DiscoveryMethod>;
  resources?: Record<string, DiscoveryResource>;
}

/** Loads `schemas/<file>`. */
export function loadDiscovery(file: string): DiscoveryDocument {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`./schemas/${file}`, import.meta.url)), 'utf8'));
}

/** A method matched to a request. */
export interface MatchedMethod {
  method: DiscoveryMethod;
  path: Record<string, string>;
}

/** The validator of one API; see the module comment. */
export class DiscoveryApi {
  readonly doc: DiscoveryDocument;
  private readonly routes: { method: DiscoveryMethod; regex: RegExp; names: string[] }[] = [];

  constructor(doc: DiscoveryDocument) {
    this.doc = doc;
    const visit = (resources: Record<string, DiscoveryResource>) => {
      for (const resource of Object.values(resources)) {
        for (const method of Object.values(resource.methods ?? {})) {
          const template = method.flatPath ?? method.path;
          const names: string[] = [];
          const pattern = template
            .split(/(\{[^}]+\})/)
            .map((part) => {
              const name = /^\{\+?([^}]+)\}$/.exec(part)?.[1];
              if (name) {
                names.push(name);
                return '([^/:]+)';
              }
              return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
            })
            .join('');
          this.routes.push({ method, regex: new RegExp(`^${pattern}$`), names });
        }
        visit(resource.resources ?? {});
      }
    };
    visit(doc.resources);
  }

  /** The method `httpMethod path` (path relative to the API root, e.g. `v2/projects/...`). */
  match(httpMethod: string, path: string): MatchedMethod | undefined {
    for (const route of this.routes) {
      if (route.method.httpMethod !== httpMethod) continue;
      const m = route.regex.exec(path);
      if (m) {
        return {
          method: route.method,
          path: Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(m[i + 1] as string)])),
        };
      }
    }
    return undefined;
  }

  /** Problems of a request: query parameters and body. */
  validateRequest(matched: MatchedMethod, query: URLSearchParams, body: unknown): string[] {
    const { method } = matched;
    const problems: string[] = [];
    for (const [key, value] of query) {
      const param = method.parameters?.[key] ?? this.doc.parameters[key];
      if (!param || (param.location && param.location !== 'query')) {
        problems.push(`${method.id}: unknown query parameter "${key}"`);
        continue;
      }
      problems.push(...this.checkScalar(param, value, `${method.id}?${key}`, true));
      if (param.format === 'google-fieldmask' && method.request) {
        for (const path of value.split(',')) {
          if (!this.fieldPathExists(method.request.$ref, path)) {
            problems.push(`${method.id}?${key}: "${path}" is not a field of ${method.request.$ref}`);
          }
        }
      }
    }
    for (const [name, param] of Object.entries(method.parameters ?? {})) {
      if (param.location === 'query' && param.required && !query.has(name)) {
        problems.push(`${method.id}: missing required query parameter "${name}"`);
      }
    }
    if (method.request) {
      if (body === undefined) problems.push(`${method.id}: a ${method.request.$ref} body is required`);
      else
        problems.push(...this.validate({ $ref: method.request.$ref }, body, method.request.$ref, 'request'));
    } else if (body !== undefined) {
      problems.push(`${method.id}: takes no request body`);
    }
    return problems;
  }

  /** Problems of a response body the fake is about to send. */
  validateResponse(matched: MatchedMethod, body: unknown): string[] {
    if (!matched.method.response) return [];
    const ref = matched.method.response.$ref;
    return this.validate({ $ref: ref }, body, `response ${ref}`, 'response');
  }

  /** Problems of `value` against a schema node. */
  validate(node: SchemaNode, value: unknown, at: string, mode: 'request' | 'response'): string[] {
    if (node.$ref) {
      const schema = this.doc.schemas[node.$ref];
      if (!schema) return [`${at}: the fixture lacks schema ${node.$ref}`];
      return this.validate(schema, value, at, mode);
    }
    switch (node.type) {
      case 'object': {
        if (value === null || typeof value !== 'object' || Array.isArray(value))
          return [`${at}: expected an object`];
        const problems: string[] = [];
        const record = value as Record<string, unknown>;
        if (node.properties) {
          for (const [key, item] of Object.entries(record)) {
            const prop = node.properties[key];
            if (!prop) {
              problems.push(`${at}.${key}: not a field of ${node.id ?? 'this object'}`);
              continue;
            }
            if (mode === 'request' && prop.readOnly)
              problems.push(`${at}.${key}: output only, may not be sent`);
            problems.push(...this.validate(prop, item, `${at}.${key}`, mode));
          }
          if (mode === 'request') {
            for (const [key, prop] of Object.entries(node.properties)) {
              if (/^Required\./.test(prop.description ?? '') && !(key in record)) {
                problems.push(`${at}.${key}: required`);
              }
            }
          }
        }
        if (node.additionalProperties) {
          for (const [key, item] of Object.entries(record)) {
            if (node.properties?.[key]) continue;
            problems.push(
              ...this.validate(node.additionalProperties, item, `${at}[${JSON.stringify(key)}]`, mode),
            );
          }
        }
        return problems;
      }
      case 'array':
        if (!Array.isArray(value)) return [`${at}: expected an array`];
        return value.flatMap((item, i) =>
          node.items ? this.validate(node.items, item, `${at}[${i}]`, mode) : [],
        );
      case 'any':
      case undefined:
        return [];
      default:
        return this.checkScalar(node, value, at, false);
    }
  }

  private checkScalar(node: SchemaNode, value: unknown, at: string, fromQuery: boolean): string[] {
    const show = JSON.stringify(value);
    switch (node.type) {
      case 'string': {
        if (typeof value !== 'string') return [`${at}: expected a string, got ${show}`];
        if (node.enum && !node.enum.includes(value))
          return [`${at}: ${show} is not one of ${node.enum.join(', ')}`];
        const formats: Record<string, RegExp> = {
          int64: /^-?\d+$/,
          uint64: /^\d+$/,
          'google-duration': /^-?\d+(\.\d{1,9})?s$/,
          'google-datetime': /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/,
          byte: /^[A-Za-z0-9+/_-]*={0,2}$/,
        };
        const format = node.format ? formats[node.format] : undefined;
        if (format && !format.test(value)) return [`${at}: ${show} is not a ${node.format}`];
        return [];
      }
      case 'integer': {
        const n = fromQuery ? Number(value) : value;
        if (typeof n !== 'number' || !Number.isInteger(n)) return [`${at}: expected an integer, got ${show}`];
        if (node.format === 'int32' && (n < -(2 ** 31) || n >= 2 ** 31))
          return [`${at}: ${n} is out of int32`];
        if (node.format === 'uint32' && (n < 0 || n >= 2 ** 32)) return [`${at}: ${n} is out of uint32`];
        return [];
      }
      case 'number': {
        const n = fromQuery ? Number(value) : value;
        return typeof n === 'number' && Number.isFinite(n) ? [] : [`${at}: expected a number, got ${show}`];
      }
      case 'boolean': {
        const ok = fromQuery ? value === 'true' || value === 'false' : typeof value === 'boolean';
        return ok ? [] : [`${at}: expected a boolean, got ${show}`];
      }
      default:
        return [];
    }
  }

  /** Whether a FieldMask path (`template.scaling.maxInstanceCount`) names fields of `ref`. */
  private fieldPathExists(ref: string, path: string): boolean {
    let node: SchemaNode | undefined = this.doc.schemas[ref];
    for (const segment of path.split('.')) {
      while (node?.$ref) node = this.doc.schemas[node.$ref];
      if (node?.type === 'array') node = node.items;
      while (node?.$ref) node = this.doc.schemas[node.$ref];
      if (!node) return false;
      if (node.additionalProperties && !node.properties?.[segment]) return true; // a map key
      node = node.properties?.[segment];
      if (!node) return false;
    }
    return true;
  }
}
