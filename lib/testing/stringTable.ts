/** Helpers for tests of how V8 holds a service's strings (lib/oneByteNames.ts). */
import { randomBytes } from 'node:crypto';

/** A GraphQL name no code has used yet, so V8's string table has no copy of it. */
export const freshName = (prefix: string) => `${prefix}${randomBytes(8).toString('hex')}`;

/** The string table's copy of a name: what JSON.parse makes of an answer's key. */
export const tableCopy = (name: string) => Object.keys(JSON.parse(`{"${name}":0}`) as object)[0];
