import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { escapeHtml, Html, html } from '../../src/status/html.js'

const unescapeHtml = (text: string) =>
  text
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&')

describe('the html template', () => {
  it('escapes every interpolated string, so that it can only ever be text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        const out = html`<td title="${text}">${text}</td>`.text
        const inner = out.slice(out.indexOf('>') + 1, out.lastIndexOf('</td>'))
        expect(inner).not.toMatch(/[<>"']/)
        expect(unescapeHtml(inner)).toBe(text)
        // The attribute cannot be closed from inside.
        expect(out.indexOf('"', out.indexOf('title="') + 7)).toBe(out.indexOf('">'))
      }),
      { seed: 20_261_203, numRuns: 300 },
    )
  })

  it('inserts nested templates as HTML, arrays joined, and nothing for null, undefined and false', () => {
    const rows = ['a<', 'b&'].map((cell) => html`<td>${cell}</td>`)
    expect(html`<tr>${rows}</tr>${null}${undefined}${false}${0}`.text).toBe(
      '<tr><td>a&lt;</td><td>b&amp;</td></tr>0',
    )
    expect(html`${new Html('<b>')}`.text).toBe('<b>')
  })

  it('escapes the five characters that matter', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    )
  })
})
