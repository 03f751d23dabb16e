/**
 * A small GraphQL document parser for the fake W&B server: enough of the grammar (operations,
 * variable definitions, fields, arguments with variables/enums/literals/objects/lists,
 * directives) to compare a request's document with the wandb SDK's document for the same
 * operation, field by field, and to shape responses to what was selected, as a real GraphQL
 * server does.
 */

/** An argument value. */
export type GqlValue =
  | { kind: 'var'; name: string }
  | { kind: 'enum'; value: string }
  | { kind: 'literal'; value: string }
  | { kind: 'object'; fields: Map<string, GqlValue> }
  | { kind: 'list'; items: GqlValue[] };

/** A selected field. */
export interface GqlField {
  name: string;
  args: Map<string, GqlValue>;
  directives: { name: string; args: Map<string, GqlValue> }[];
  selections: GqlField[];
}

/** A parsed operation. */
export interface GqlOperation {
  type: 'query' | 'mutation';
  name: string;
  /** Variable name → type as written (`String!`, `[String!]`). */
  variables: Map<string, string>;
  selections: GqlField[];
}

const TOKEN = /[_A-Za-z][_0-9A-Za-z]*|\.\.\.|[${}()[\]:!=@]|"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?/g;

/** Parses one operation; throws with a message on anything it does not understand. */
export function parseOperation(text: string): GqlOperation {
  const tokens = text.replace(/#[^\n]*/g, '').match(TOKEN) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const next = () => {
    const token = tokens[i++];
    if (token === undefined) throw new Error('unexpected end of document');
    return token;
  };
  const expect = (want: string) => {
    const got = next();
    if (got !== want) throw new Error(`expected "${want}", got "${got}"`);
  };
  const type = next();
  if (type !== 'query' && type !== 'mutation') throw new Error(`expected query or mutation, got "${type}"`);
  const name = next();
  const variables = new Map<string, string>();
  if (peek() === '(') {
    next();
    while (peek() !== ')') {
      expect('$');
      const variable = next();
      expect(':');
      variables.set(variable, parseType());
      if (peek() === '=') {
        next();
        parseValue();
      }
    }
    next();
  }
  const selections = parseSelectionSet();
  if (i !== tokens.length) throw new Error(`unexpected "${peek()}" after the operation`);
  return { type, name, variables, selections };

  function parseType(): string {
    let out: string;
    if (peek() === '[') {
      next();
      out = `[${parseType()}]`;
      expect(']');
    } else {
      out = next();
    }
    if (peek() === '!') {
      next();
      out += '!';
    }
    return out;
  }
  function parseValue(): GqlValue {
    const token = next();
    if (token === '$') return { kind: 'var', name: next() };
    if (token === '{') {
      const fields = new Map<string, GqlValue>();
      while (peek() !== '}') {
        const field = next();
        expect(':');
        fields.set(field, parseValue());
      }
      next();
      return { kind: 'object', fields };
    }
    if (token === '[') {
      const items: GqlValue[] = [];
      while (peek() !== ']') items.push(parseValue());
      next();
      return { kind: 'list', items };
    }
    if (/^[_A-Za-z]/.test(token) && !['true', 'false', 'null'].includes(token))
      return { kind: 'enum', value: token };
    return { kind: 'literal', value: token };
  }
  function parseArgs(): Map<string, GqlValue> {
    const args = new Map<string, GqlValue>();
    if (peek() !== '(') return args;
    next();
    while (peek() !== ')') {
      const arg = next();
      expect(':');
      args.set(arg, parseValue());
    }
    next();
    return args;
  }
  function parseSelectionSet(): GqlField[] {
    expect('{');
    const fields: GqlField[] = [];
    while (peek() !== '}') {
      const field = next();
      if (field === '...') throw new Error('fragments are not used by this client');
      const args = parseArgs();
      const directives: GqlField['directives'] = [];
      while (peek() === '@') {
        next();
        directives.push({ name: next(), args: parseArgs() });
      }
      const selections = peek() === '{' ? parseSelectionSet() : [];
      fields.push({ name: field, args, directives, selections });
    }
    next();
    return fields;
  }
}

/**
 * Differences that make `ours` not a subset of `reference`: an operation type or name, a
 * variable (or its type), a field, an argument or an input-object field that the reference does
 * not have. Empty when `ours` asks only for what the reference asks.
 */
export function subsetProblems(ours: GqlOperation, reference: GqlOperation): string[] {
  const problems: string[] = [];
  if (ours.type !== reference.type) problems.push(`is a ${ours.type}, the SDK's is a ${reference.type}`);
  for (const [name, type] of ours.variables) {
    const want = reference.variables.get(name);
    if (want === undefined) problems.push(`declares unknown variable $${name}`);
    else if (want !== type) problems.push(`declares $${name}: ${type}, the SDK declares ${want}`);
  }
  compareFields(ours.selections, reference.selections, ours.name, problems);
  return problems;
}

function compareFields(ours: GqlField[], reference: GqlField[], path: string, problems: string[]): void {
  for (const field of ours) {
    const ref = reference.find((r) => r.name === field.name);
    const here = `${path}.${field.name}`;
    if (!ref) {
      problems.push(`selects unknown field ${here}`);
      continue;
    }
    for (const [arg, value] of field.args) {
      const refValue = ref.args.get(arg);
      if (!refValue) problems.push(`passes unknown argument ${here}(${arg})`);
      else compareValues(value, refValue, `${here}(${arg})`, problems);
    }
    for (const directive of field.directives) {
      if (!ref.directives.some((d) => d.name === directive.name))
        problems.push(`uses unknown directive @${directive.name} on ${here}`);
    }
    compareFields(field.selections, ref.selections, here, problems);
  }
}

function compareValues(ours: GqlValue, reference: GqlValue, path: string, problems: string[]): void {
  if (ours.kind !== reference.kind) {
    problems.push(`passes a ${ours.kind} at ${path}, the SDK passes a ${reference.kind}`);
    return;
  }
  if (ours.kind === 'var' && reference.kind === 'var' && ours.name !== reference.name) {
    problems.push(`passes $${ours.name} at ${path}, the SDK passes $${reference.name}`);
  }
  if (ours.kind === 'enum' && reference.kind === 'enum' && ours.value !== reference.value) {
    problems.push(`passes ${ours.value} at ${path}, the SDK passes ${reference.value}`);
  }
  if (ours.kind === 'object' && reference.kind === 'object') {
    for (const [field, value] of ours.fields) {
      const refValue = reference.fields.get(field);
      if (!refValue) problems.push(`passes unknown input field ${path}.${field}`);
      else compareValues(value, refValue, `${path}.${field}`, problems);
    }
  }
}

/** `data` reduced to the selected fields (honouring `@include(if: $var)`), as GraphQL answers. */
export function shapeResponse(
  data: unknown,
  fields: GqlField[],
  variables: Record<string, unknown>,
): unknown {
  if (data === null || data === undefined) return null;
  if (Array.isArray(data)) return data.map((item) => shapeResponse(item, fields, variables));
  if (typeof data !== 'object') return data;
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const include = field.directives.find((d) => d.name === 'include')?.args.get('if');
    if (include?.kind === 'var' && variables[include.name] !== true) continue;
    const value = (data as Record<string, unknown>)[field.name];
    out[field.name] = field.selections.length
      ? shapeResponse(value, field.selections, variables)
      : (value ?? null);
  }
  return out;
}

/** Variables whose declared type is non-null (`!`). */
export function requiredVariables(operation: GqlOperation): string[] {
  return [...operation.variables].filter(([, type]) => type.endsWith('!')).map(([name]) => name);
}
