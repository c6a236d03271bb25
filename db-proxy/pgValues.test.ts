import { decodeRows, decoderFor, encodeParam, parseArray } from './pgValues.js';

describe('encodeParam', () => {
  it.each([
    [null, null],
    ['text', 'text'],
    [42, '42'],
    [1.5, '1.5'],
    [true, 'true'],
    [false, 'false'],
    [{ a: [1, 'x'] }, '{"a":[1,"x"]}'],
    [[1, 2, 3], '{"1","2","3"}'],
    [['a "q"', 'back\\slash', null], '{"a \\"q\\"","back\\\\slash",NULL}'],
    [[[1, 2], [3, 4]], '{{"1","2"},{"3","4"}}'],
    [[], '{}'],
  ])('%j -> %j', (value, text) => {
    expect(encodeParam(value as never)).toBe(text);
  });
});

describe('decoding PostgreSQL text', () => {
  it.each([
    [16, 't', true],
    [16, 'f', false],
    [23, '42', 42],
    [21, '-7', -7],
    [20, '9007199254740993', '9007199254740993'],
    [1700, '12.50', '12.50'],
    [701, '1.5', 1.5],
    [701, 'NaN', 'NaN'],
    [700, '-Infinity', '-Infinity'],
    [3802, '{"a": [1, null]}', { a: [1, null] }],
    [114, '[1,2]', [1, 2]],
    [1082, '2024-02-29', '2024-02-29'],
    [1114, '2024-01-02 03:04:05.123456', '2024-01-02T03:04:05.123456'],
    [1114, 'infinity', 'infinity'],
    [1184, '2024-01-02 03:04:05.123456+00', '2024-01-02T03:04:05.123456Z'],
    [1184, '2024-01-02 03:04:05+00', '2024-01-02T03:04:05Z'],
    [1184, '2024-01-02 05:34:05.5+02:30', '2024-01-02T03:04:05.5Z'],
    [1184, '2024-01-01 22:00:00-05', '2024-01-02T03:00:00Z'],
    [1184, '1900-01-01 00:00:00+00:09:21', '1899-12-31T23:50:39Z'],
    [1184, '-infinity', '-infinity'],
    [1184, '0044-03-15 12:00:00+00 BC', '0044-03-15 12:00:00+00 BC'],
    [17, '\\x0102', '\\x0102'],
    [2950, '0e4d0c1a-1b2c-4d3e-8f90-a1b2c3d4e5f6', '0e4d0c1a-1b2c-4d3e-8f90-a1b2c3d4e5f6'],
    [1007, '{1,2,NULL}', [1, 2, null]],
    [1016, '{1,9007199254740993}', ['1', '9007199254740993']],
    [1009, '{a,"b c","q\\"uote","NULL",NULL}', ['a', 'b c', 'q"uote', 'NULL', null]],
    [1009, '{}', []],
    [1007, '{{1,2},{3,4}}', [[1, 2], [3, 4]]],
    [1007, '[0:1]={5,6}', [5, 6]],
    [3807, '{"{\\"a\\": 1}","[]"}', [{ a: 1 }, []]],
    [1185, '{"2024-01-02 03:04:05+00"}', ['2024-01-02T03:04:05Z']],
    [1000, '{t,f}', [true, false]],
    [99999, 'custom type text', 'custom type text'],
  ])('type %i: %j', (typeId, text, expected) => {
    expect(decoderFor(typeId)(text)).toEqual(expected);
  });

  it('builds rows by column name, keeps null, and treats __proto__ as a plain column', () => {
    const rows = decodeRows(
      [
        { name: 'id', dataTypeID: 20 },
        { name: 'ok', dataTypeID: 16 },
        { name: '__proto__', dataTypeID: 25 },
      ],
      [['1', null, 'x']],
    );
    expect(rows).toEqual([{ id: '1', ok: null, ['__proto__']: 'x' }]);
    expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype);
    expect(JSON.stringify(rows[0])).toBe('{"id":"1","ok":null,"__proto__":"x"}');
  });

  it('leaves text that is not an array literal alone', () => {
    expect(parseArray('not an array')).toBe('not an array');
  });
});
