/**
 * Entity fetches that become ready together (the branches of a plan's Parallel node) and go to the
 * same subgraph are sent as one request: each fetch's operation becomes an aliased `_entities` field
 * of one operation (its variables and fragments renamed apart), and the answer is split back. A
 * subgraph then sees one request per plan level instead of one per fetch. A fetch that is alone
 * when the batch is sent keeps its own request unchanged.
 *
 * Batches are collected the way DataLoader collects keys: the first fetch of a turn schedules the
 * send after the promise jobs already queued, so every branch started in the same turn joins it.
 */
import { Kind, parse, print, visit, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import type { CompiledFetch, SubgraphResponse } from './executePlan.js';

type Send = (body: string) => Promise<SubgraphResponse>;

interface Part {
  fetch: CompiledFetch;
  /** `"name":value,...` of the fetch's own variables (no braces). */
  variables: string;
  /** The JSON array of representations. */
  representations: string;
  resolve(response: SubgraphResponse): void;
  reject(err: unknown): void;
}

/** A combined operation, by the fetches it combines (in order). */
interface Combined {
  bodyStart: string;
}

const combinedByFirst = new WeakMap<CompiledFetch, Map<string, Combined>>();

export class EntityBatcher {
  private readonly queues = new Map<string, Part[]>();

  /** `send(serviceName, body)`: one HTTP exchange with the subgraph. */
  constructor(private readonly sendTo: (serviceName: string, body: string) => Promise<SubgraphResponse>) {}

  /** The fetch's answer, as if it had been sent on its own. */
  call(fetch: CompiledFetch, variables: string, representations: string): Promise<SubgraphResponse> {
    return new Promise<SubgraphResponse>((resolve, reject) => {
      let queue = this.queues.get(fetch.serviceName);
      if (!queue) {
        queue = [];
        this.queues.set(fetch.serviceName, queue);
        // After the promise jobs queued now: the other branches of this turn reach here first.
        void Promise.resolve().then(() => process.nextTick(() => this.flush(fetch.serviceName)));
      }
      queue.push({ fetch, variables, representations, resolve, reject });
    });
  }

  private flush(serviceName: string): void {
    const parts = this.queues.get(serviceName) ?? [];
    this.queues.delete(serviceName);
    const send: Send = (body) => this.sendTo(serviceName, body);
    if (parts.length === 1) {
      const [part] = parts;
      const { fetch } = part;
      const body = `${fetch.bodyStart},"variables":{${part.variables}${part.variables ? ',' : ''}"representations":${part.representations}}${fetch.bodyEnd}`;
      send(body).then(part.resolve, part.reject);
      return;
    }
    let combined: Combined;
    try {
      combined = combinedOperation(parts.map((p) => p.fetch));
    } catch (err) {
      for (const part of parts) part.reject(err);
      return;
    }
    const variables = parts
      .map((part, i) => {
        const own = part.variables ? `${prefixVariables(part.variables, i)},` : '';
        return `${own}"${prefix(i)}representations":${part.representations}`;
      })
      .join(',');
    send(`${combined.bodyStart},"variables":{${variables}}}`).then(
      (response) => {
        for (let i = 0; i < parts.length; i++) parts[i].resolve(partOf(response, i));
      },
      (err: unknown) => {
        for (const part of parts) part.reject(err);
      },
    );
  }
}

const prefix = (i: number) => `b${i}_`;
const alias = (i: number) => `b${i}`;

/** `"first":1,"ids":["a"]` -> `"b0_first":1,"b0_ids":["a"]`: read back as JSON, not searched as text. */
function prefixVariables(json: string, i: number): string {
  const values = JSON.parse(`{${json}}`) as Record<string, unknown>;
  return Object.entries(values)
    .map(([name, value]) => `${JSON.stringify(prefix(i) + name)}:${JSON.stringify(value)}`)
    .join(',');
}

/** One fetch's share of a combined answer, shaped as its own answer would have been. */
function partOf(response: SubgraphResponse, i: number): SubgraphResponse {
  const key = alias(i);
  const data = response.data ? { _entities: response.data[key] } : response.data;
  const errors = response.errors
    ?.filter((error) => !error.path || error.path[0] === key)
    .map((error) => (error.path ? { ...error, path: ['_entities', ...error.path.slice(1)] } : error));
  return { ...response, data, errors: errors?.length ? errors : undefined };
}

function combinedOperation(fetches: readonly CompiledFetch[]): Combined {
  const key = fetches.map((f) => f.id).join(',');
  let byKey = combinedByFirst.get(fetches[0]);
  if (!byKey) combinedByFirst.set(fetches[0], (byKey = new Map()));
  let combined = byKey.get(key);
  if (!combined) {
    combined = { bodyStart: `{"query":${JSON.stringify(combine(fetches))}` };
    byKey.set(key, combined);
  }
  return combined;
}

/** The fetches' operations as one: `b0: _entities(representations: $b0_representations) { ... }`, ... */
function combine(fetches: readonly CompiledFetch[]): string {
  const variableDefinitions: NonNullable<OperationDefinitionNode['variableDefinitions']>[number][] = [];
  const selections: OperationDefinitionNode['selectionSet']['selections'][number][] = [];
  const fragments: FragmentDefinitionNode[] = [];
  fetches.forEach((fetch, i) => {
    const renamed = visit(fetch.document ?? parse(fetch.operation), {
      Variable: (node) => ({ ...node, name: { ...node.name, value: prefix(i) + node.name.value } }),
      FragmentSpread: (node) => ({ ...node, name: { ...node.name, value: prefix(i) + node.name.value } }),
      FragmentDefinition: (node) => ({ ...node, name: { ...node.name, value: prefix(i) + node.name.value } }),
    }) as DocumentNode;
    for (const definition of renamed.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.push(definition);
      else if (definition.kind === Kind.OPERATION_DEFINITION) {
        variableDefinitions.push(...(definition.variableDefinitions ?? []));
        for (const selection of definition.selectionSet.selections) {
          if (selection.kind !== Kind.FIELD || selection.name.value !== '_entities') {
            throw new Error('Only _entities fetches can be batched');
          }
          selections.push({ ...selection, alias: { kind: Kind.NAME, value: alias(i) } });
        }
      }
    }
  });
  const document: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: 'query' as OperationDefinitionNode['operation'],
        variableDefinitions,
        selectionSet: { kind: Kind.SELECTION_SET, selections },
      },
      ...fragments,
    ],
  };
  return print(document);
}
