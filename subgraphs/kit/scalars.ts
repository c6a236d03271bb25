/** Custom scalars shared by the subgraphs: DateTime is an ISO-8601 string in UTC. */
import { GraphQLScalarType, Kind } from 'graphql';
import { userInputError } from '../../lib/errors.js';

function toIso(value: unknown): string {
  const date = value instanceof Date ? value : new Date(String(value));
  if (Number.isNaN(date.getTime())) throw new TypeError(`DateTime cannot represent ${String(value)}`);
  return date.toISOString();
}

export const DateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  description: 'An ISO-8601 date and time in UTC, e.g. 2026-01-31T12:00:00.000Z',
  serialize: toIso,
  parseValue(value) {
    if (typeof value !== 'string') throw userInputError('DateTime must be an ISO-8601 string');
    try {
      return toIso(value);
    } catch {
      throw userInputError(`"${value}" is not an ISO-8601 date and time`);
    }
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw userInputError('DateTime must be an ISO-8601 string');
    try {
      return toIso(ast.value);
    } catch {
      throw userInputError(`"${ast.value}" is not an ISO-8601 date and time`);
    }
  },
});
