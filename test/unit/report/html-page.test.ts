/** What the HTML outputs share: uPlot inlined from the package, text escaped, JSON safe inside <script>. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { embedJson, escapeHtml, uplotAssets } from '../../../src/report/html-page.js';

describe('html-page', () => {
  it('uplotAssets reads uPlot’s browser build and its styles from the installed package', () => {
    const { script, style } = uplotAssets();
    assert.match(script, /uPlot/);
    assert.ok(script.length > 10_000, 'the minified library, not a stub');
    assert.match(style, /\.uplot/);
    assert.doesNotMatch(
      script + style,
      /https?:\/\/[^\s"']+\.(js|css)\b/,
      'nothing fetched from the network',
    );
  });

  it('escapeHtml escapes the five characters that matter and nothing else', () => {
    assert.equal(escapeHtml(`a<b>&"c"'d'`), 'a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;');
    assert.equal(escapeHtml('plain text 1–2 µs'), 'plain text 1–2 µs');
    fc.assert(
      fc.property(fc.string(), (text) => {
        const escaped = escapeHtml(text);
        assert.doesNotMatch(escaped, /[<>"']/);
        const back = escaped
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>')
          .replace(/&quot;/g, '"')
          .replace(/&#39;/g, "'")
          .replace(/&amp;/g, '&');
        assert.equal(back, text);
      }),
    );
  });

  it('embedJson cannot close its <script> element and parses back to the same value', () => {
    const value = { title: '</script><script>alert(1)</script>', n: [1, 2.5, null] };
    const embedded = embedJson(value);
    assert.doesNotMatch(embedded, /<\/script/i);
    assert.deepEqual(JSON.parse(embedded), value);
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        const text = embedJson(json);
        assert.ok(!text.includes('<'));
        assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(json)));
      }),
    );
  });
});
