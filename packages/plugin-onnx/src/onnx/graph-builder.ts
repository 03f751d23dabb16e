import type { AttributeValue, GraphNode, Initializer, TensorData } from './ir.js';

/**
 * Appends nodes and constants to a graph under unique names. Names derive from the Keras layer
 * names, so a Netron view of the file reads like the tfjs model.
 */
export class GraphBuilder {
  /** Nodes in the order added (topological, since inputs exist before they are read). */
  readonly nodes: GraphNode[] = [];
  /** Constants by name. */
  readonly initializers = new Map<string, Initializer>();
  private readonly used = new Set<string>();

  /** A name not used yet, `base` when free, else `base_2`, `base_3`, ... */
  unique(base: string): string {
    let name = base;
    for (let i = 2; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Marks names that exist already (graph inputs). */
  reserve(name: string): void {
    this.used.add(name);
  }

  /** Adds a constant and returns its name. */
  constant(base: string, dims: number[], data: TensorData): string {
    const name = this.unique(base);
    this.initializers.set(name, { name, dims, data });
    return name;
  }

  /** Adds a node with one output named after `base`; returns that output's name. */
  op(opType: string, base: string, inputs: string[], attributes?: Record<string, AttributeValue>): string {
    return this.opInto(opType, this.unique(base), inputs, attributes);
  }

  /** Adds a node writing the given (reserved) output name, e.g. the graph output. */
  opInto(
    opType: string,
    output: string,
    inputs: string[],
    attributes?: Record<string, AttributeValue>,
  ): string {
    this.nodes.push({
      name: this.unique(`${output}/${opType}`),
      opType,
      inputs,
      outputs: [output],
      ...(attributes ? { attributes } : {}),
    });
    return output;
  }
}
