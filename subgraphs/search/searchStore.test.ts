import { markHighlight } from './searchStore.js';

describe('markHighlight', () => {
  it('escapes the text and turns only the match markers into <mark> tags', () => {
    expect(markHighlight('Tom \uE000&\uE001 <b>Jerry</b> "says" it\'s \uE000fine\uE001')).toBe(
      'Tom <mark>&amp;</mark> &lt;b&gt;Jerry&lt;/b&gt; &quot;says&quot; it&#39;s <mark>fine</mark>',
    );
  });

  it('collapses the runs of spaces headlines leave behind', () => {
    expect(markHighlight('  a   \uE000b\uE001  ')).toBe('a <mark>b</mark>');
  });
});
