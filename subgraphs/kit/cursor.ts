/**
 * Opaque pagination cursors: base64url JSON of the sort key of the last row. Clients must not build
 * them; a cursor that does not decode is a BAD_USER_INPUT, not a server error.
 */
import { userInputError } from '../../lib/errors.js';

export function encodeCursor(value: unknown[]): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor(cursor: string, shape: ('string' | 'number')[]): (string | number)[] {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw userInputError('The cursor "after" is not a cursor this API produced', { argument: 'after' });
  }
  if (!Array.isArray(value) || value.length !== shape.length || value.some((v, i) => typeof v !== shape[i])) {
    throw userInputError('The cursor "after" is not a cursor this API produced', { argument: 'after' });
  }
  return value as (string | number)[];
}
