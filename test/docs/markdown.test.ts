import { describe, expect, it } from 'vitest'
import { headings, links, tables } from './markdown.js'

describe('the Markdown reading the docs tests rely on', () => {
  it("makes GitHub's heading anchors", () => {
    const markdown = [
      '# Front-proxy mode on Kubernetes',
      '## Gaps mean "below 80%"',
      '## `METRICS_PORT` and the [probes](x.md)',
      '### Answers',
      '### Answers',
      '## 回调配置 (webhook)',
      '## runbook_url: an **alert** #',
    ].join('\n')
    expect(headings(markdown).map((heading) => heading.anchor)).toEqual([
      'front-proxy-mode-on-kubernetes',
      'gaps-mean-below-80',
      'metrics_port-and-the-probes',
      'answers',
      'answers-1',
      '回调配置-webhook',
      'runbook_url-an-alert',
    ])
  })

  it('skips code blocks and HTML comments, and code spans for links', () => {
    const markdown = [
      '```sh',
      '# not a heading [x](missing.md)',
      '```',
      '<!-- ![screenshot](docs/later.png)',
      '-->',
      'See [a](a.md#one) and `[b](b.md)`, ![c](c.png).',
      '~~~',
      '## nor this',
      '~~~',
      '## Real',
    ].join('\n')
    expect(links(markdown)).toEqual([
      { line: 6, target: 'a.md#one' },
      { line: 6, target: 'c.png' },
    ])
    expect(headings(markdown).map((heading) => heading.text)).toEqual(['Real'])
  })

  it('reads tables with their section, keeping pipes inside code and escaped pipes in a cell', () => {
    const markdown = [
      '## Variables',
      '',
      '| variable | default | meaning |',
      '| -------- | :-----: | ------- |',
      '| `PORT` | `10240` | a \\| b, `x | y` |',
      '',
      'text',
    ].join('\n')
    expect(tables(markdown)).toEqual([
      {
        section: 'Variables',
        header: ['variable', 'default', 'meaning'],
        rows: [['`PORT`', '`10240`', 'a | b, `x | y`']],
      },
    ])
  })
})
