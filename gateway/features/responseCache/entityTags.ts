/**
 * Which entities a GraphQL result contains, as `Type:id` tags: every object in the data whose
 * selection has an `id` field, typed by the schema (or by `__typename` where the field's type is an
 * interface or union). The response cache tags a stored response with them, and a mutation's result
 * names the entities whose cached responses must go.
 */
import {
  getNamedType,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type DocumentNode,
} from 'graphql';

export interface EntityTagsInput {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  data: unknown;
  /** Stop after this many tags; a huge list is better invalidated by its max-age. @default 1000 */
  limit?: number;
}

export function entityTags({ schema, document, operation, data, limit = 1_000 }: EntityTagsInput): string[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const tags = new Set<string>();
  const root = schema.getRootType(operation.operation);
  if (root) visit(root, operation.selectionSet, data);
  return [...tags];

  function visit(type: GraphQLCompositeType, selectionSet: SelectionSetNode, value: unknown): void {
    if (value === null || typeof value !== 'object' || tags.size >= limit) return;
    if (Array.isArray(value)) {
      for (const item of value) visit(type, selectionSet, item);
      return;
    }
    const object = value as Record<string, unknown>;
    const typename = typeof object.__typename === 'string' ? object.__typename : isObjectType(type) ? type.name : undefined;
    const concrete = typename ? schema.getType(typename) : undefined;
    walkSelections(isObjectType(concrete) ? concrete : type, selectionSet, object, typename);
  }

  function walkSelections(
    type: GraphQLCompositeType,
    selectionSet: SelectionSetNode,
    object: Record<string, unknown>,
    typename: string | undefined,
  ): void {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const fieldValue = object[key];
        if (selection.name.value === 'id' && typename && (typeof fieldValue === 'string' || typeof fieldValue === 'number')) {
          if (tags.size < limit) tags.add(`${typename}:${fieldValue}`);
          continue;
        }
        if (!selection.selectionSet) continue;
        const field = fieldOf(type, selection.name.value);
        const fieldType = field && getNamedType(field.type);
        if (fieldType && isCompositeType(fieldType)) visit(fieldType, selection.selectionSet, fieldValue);
        continue;
      }
      const fragment =
        selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
      if (!fragment) continue;
      const condition = fragment.typeCondition ? schema.getType(fragment.typeCondition.name.value) : undefined;
      if (condition && !isCompositeType(condition)) continue;
      if (condition && !applies(condition, typename)) continue;
      walkSelections(condition ?? type, fragment.selectionSet, object, typename);
    }
  }

  /** Whether a fragment on `condition` applies to an object of type `typename` (unknown: assume it may). */
  function applies(condition: GraphQLCompositeType, typename: string | undefined): boolean {
    if (!typename) return true;
    if (condition.name === typename) return true;
    const concrete = schema.getType(typename);
    return isAbstractType(condition) && isObjectType(concrete) && schema.isSubType(condition, concrete);
  }
}

function fieldOf(type: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
  return isObjectType(type) || isInterfaceType(type) ? type.getFields()[name] : undefined;
}
