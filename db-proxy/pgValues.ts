/**
 * Values between JSON and PostgreSQL's text format, done here and only here so that both drivers
 * send the same parameter text and return the same JSON for the same query. Both drivers hand over
 * raw text; nothing of pg's or PGlite's own type parsing is used.
 *
 * Results: int2/int4/float are numbers; int8 and numeric stay strings (JSON numbers cannot hold
 * them exactly, pg's default too); booleans; json/jsonb parsed; timestamptz as ISO-8601 in UTC
 * (`2024-01-02T03:04:05.123456Z`, full precision), timestamp as ISO-8601 without zone, date as
 * `YYYY-MM-DD`; arrays of these as JSON arrays; everything else as PostgreSQL prints it.
 */
import type { FieldInfo, SqlParam } from '../lib/dbProtocol.js';

// ---------------------------------------------------------------- parameters

/** JSON parameter -> PostgreSQL text (the same rules as pg's prepareValue). */
export function encodeParam(value: SqlParam | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return encodeArray(value);
  return JSON.stringify(value);
}

function encodeArray(values: SqlParam[]): string {
  const parts = values.map((element) => {
    if (element === null || element === undefined) return 'NULL';
    if (Array.isArray(element)) return encodeArray(element);
    const text = encodeParam(element) as string;
    return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  });
  return `{${parts.join(',')}}`;
}

// ---------------------------------------------------------------- results

type Decoder = (text: string) => unknown;

const OID = {
  bool: 16,
  int8: 20,
  int2: 21,
  int4: 23,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  jsonb: 3802,
} as const;

const asText: Decoder = (text) => text;
const asInteger: Decoder = (text) => Number(text);
const asFloat: Decoder = (text) => {
  const value = Number(text);
  // NaN and Infinity have no JSON number; keep PostgreSQL's spelling rather than turning them into null.
  return Number.isFinite(value) ? value : text;
};
const asBool: Decoder = (text) => text === 't' || text === 'true';
const asJson: Decoder = (text) => JSON.parse(text);

const SCALAR_DECODERS = new Map<number, Decoder>([
  [OID.bool, asBool],
  [OID.int2, asInteger],
  [OID.int4, asInteger],
  [OID.oid, asInteger],
  [OID.float4, asFloat],
  [OID.float8, asFloat],
  [OID.json, asJson],
  [OID.jsonb, asJson],
  [OID.date, asText],
  [OID.timestamp, decodeTimestamp],
  [OID.timestamptz, decodeTimestamptz],
]);

/** Built-in array types -> their element type. Arrays of other types come back as PostgreSQL text. */
const ARRAY_ELEMENT = new Map<number, number>([
  [1000, OID.bool],
  [1005, OID.int2],
  [1007, OID.int4],
  [1016, OID.int8],
  [1028, OID.oid],
  [1021, OID.float4],
  [1022, OID.float8],
  [1231, OID.numeric],
  [1009, 25], // text
  [1015, 1043], // varchar
  [1014, 1042], // bpchar
  [1002, 18], // char
  [1003, 19], // name
  [2951, 2950], // uuid
  [199, OID.json],
  [3807, OID.jsonb],
  [1182, OID.date],
  [1115, OID.timestamp],
  [1185, OID.timestamptz],
  [1183, 1083], // time
  [1270, 1266], // timetz
  [1187, 1186], // interval
  [1001, 17], // bytea
  [1041, 869], // inet
  [651, 650], // cidr
]);

export function decoderFor(typeId: number): Decoder {
  const scalar = SCALAR_DECODERS.get(typeId);
  if (scalar) return scalar;
  const element = ARRAY_ELEMENT.get(typeId);
  if (element !== undefined) {
    const decodeElement = SCALAR_DECODERS.get(element) ?? asText;
    return (text) => parseArray(text, decodeElement);
  }
  return asText;
}

/** Raw text rows (one array per row, in field order) -> JSON objects keyed by column name. */
export function decodeRows(fields: readonly FieldInfo[], rows: readonly (readonly (string | null)[])[]): Record<string, unknown>[] {
  const decoders = fields.map((f) => decoderFor(f.dataTypeID));
  return rows.map((row) =>
    // fromEntries makes own properties even for a column named __proto__; a repeated name keeps the last value, as pg does.
    Object.fromEntries(fields.map((field, k) => [field.name, row[k] === null ? null : decoders[k](row[k] as string)])),
  );
}

const TIMESTAMP_PATTERN = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d+)?$/;
const TIMESTAMPTZ_PATTERN = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d+)?([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?$/;

/** `2024-01-02 03:04:05.5` -> `2024-01-02T03:04:05.5`; BC dates, years past 9999 and infinity stay as printed. */
function decodeTimestamp(text: string): string {
  return TIMESTAMP_PATTERN.test(text) ? text.replace(' ', 'T') : text;
}

/** `2024-01-02 05:04:05.123456+02` -> `2024-01-02T03:04:05.123456Z`, whatever the session time zone. */
function decodeTimestamptz(text: string): string {
  const m = TIMESTAMPTZ_PATTERN.exec(text);
  if (!m) return text;
  const [, y, mo, d, h, mi, s, fraction = '', sign, oh, om = '0', os = '0'] = m;
  const offsetSeconds = (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60 + Number(os));
  if (offsetSeconds === 0) return `${y}-${mo}-${d}T${h}:${mi}:${s}${fraction}Z`;
  const utc = new Date(0);
  utc.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  utc.setUTCHours(Number(h), Number(mi), Number(s) - offsetSeconds, 0);
  const year = utc.getUTCFullYear();
  if (year < 1 || year > 9999) return text;
  return `${utc.toISOString().slice(0, 19)}${fraction}Z`;
}

/**
 * PostgreSQL array text (`{1,2}`, `{{"a b",NULL}}`, `[0:1]={x,y}`) -> nested JSON arrays. Elements
 * are decoded with the element type's decoder; unquoted NULL is null.
 */
export function parseArray(text: string, decodeElement: Decoder = asText): unknown {
  let i = 0;
  if (text.charCodeAt(0) === 91 /* [ */) {
    // Explicit bounds: the elements are what matters to a JSON reader.
    const eq = text.indexOf('=');
    if (eq < 0) return text;
    i = eq + 1;
  }
  const n = text.length;

  const parseLevel = (): unknown[] => {
    const out: unknown[] = [];
    i++; // {
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      if (text[i] === '{') {
        out.push(parseLevel());
      } else if (text[i] === '"') {
        let value = '';
        i++;
        while (i < n && text[i] !== '"') {
          if (text[i] === '\\') i++;
          value += text[i];
          i++;
        }
        i++; // closing quote
        out.push(decodeElement(value));
      } else {
        const start = i;
        while (i < n && text[i] !== ',' && text[i] !== '}') i++;
        const raw = text.slice(start, i).trim();
        out.push(raw === 'NULL' ? null : decodeElement(raw));
      }
      if (text[i] === ',') {
        i++;
        continue;
      }
      i++; // }
      return out;
    }
  };

  if (text[i] !== '{') return text;
  return parseLevel();
}
