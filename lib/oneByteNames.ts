/**
 * Keeps the names of a GraphQL schema one-byte in V8's string table, so that the JSON a service writes
 * with them stays one-byte too. Called on every SDL text before a schema is built from it: the
 * gateway's supergraph and the subgraph SDLs it composes, and each subgraph service's schema file.
 *
 * Why: on Node 20, `Array.prototype.join` returns a two-byte string when one of its parts is a
 * ThinString, which is what a string becomes once it has been used as a property key. Apollo's
 * federation libraries validate a schema they build (composition, a supergraph, a Federation 2
 * subgraph schema) by printing it with `join` and parsing the print again, and that parse is where
 * many names are first used as keys: they enter the string table as two-byte strings, and the table
 * keeps those copies while the schema lives. Every later use of a name resolves to them: the keys
 * `JSON.parse` makes of a subgraph's answer, the response keys of a client's query, a resolver's
 * result. One two-byte key turns all of `JSON.stringify`'s output after it two-byte, so the gateway
 * benchmark's answer of 86 KB of ASCII was built as 172 KB, and writing it meant transcoding to UTF-8
 * instead of copying. Entering every name of the SDL text first, as one-byte strings, makes those the
 * table's copies.
 */
import { serialize } from 'node:v8';

/** GraphQL names (and, harmlessly, the words of descriptions and comments). */
const NAME = /[_A-Za-z][_0-9A-Za-z]*/g;

/**
 * Every name entered so far, held so that none leaves the table before the schema using it is built.
 * Bounded by the vocabulary of the schemas this process has read.
 */
const kept: Record<string, true> = Object.create(null) as Record<string, true>;

/** Enters the names of an SDL text into the string table as one-byte strings: call before building a schema from it. */
export function keepNamesOneByte(sdl: string): void {
  // Latin-1 decoding makes a one-byte string whatever the SDL's own representation; names are ASCII.
  const text = Buffer.from(sdl, 'utf8').toString('latin1');
  for (const match of text.matchAll(NAME)) kept[match[0]] = true;
}

/** How V8 holds a string (for tests and diagnostics): read from its structured-clone serialization. */
export function stringRepresentation(value: string): 'one-byte' | 'two-byte' {
  const bytes = new Uint8Array(serialize(value));
  // After the two-byte header, optional padding (0x00), then '"' for one-byte or 'c' for two-byte.
  let at = 2;
  while (bytes[at] === 0x00) at++;
  if (bytes[at] === 0x22) return 'one-byte';
  if (bytes[at] === 0x63) return 'two-byte';
  throw new Error(`unexpected serialization tag 0x${bytes[at]?.toString(16)}`);
}
