import { createHash } from 'node:crypto'

// Bar widths in steps of 5%: with a class per step the page needs no style attribute, so the
// Content-Security-Policy can allow this one style element by its hash instead of 'unsafe-inline'.
const widths = Array.from({ length: 21 }, (_, i) => `.w${i * 5}{width:${i * 5}%}`).join('')

/** The status page's only style: system fonts, light and dark, tables that scroll sideways on a phone. */
export const STATUS_STYLE = `
:root{color-scheme:light dark;--fg:#1d2330;--muted:#5b6475;--bg:#fff;--panel:#f5f7fa;--line:#dde2ea;
--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--bar:#3b82f6;--warnbar:#d29922;--badbar:#cf222e}
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ef;--muted:#9aa3b2;--bg:#11151c;--panel:#1a202a;
--line:#2c3442;--ok:#3fb950;--warn:#d29922;--bad:#f85149;--bar:#58a6ff;--warnbar:#d29922;--badbar:#f85149}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1180px;margin:0 auto;padding:16px}
h1{font-size:1.35em;margin:0 0 4px}
h2{font-size:1.1em;margin:28px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
a{color:var(--bar)}
.muted{color:var(--muted)}
.facts{display:flex;flex-wrap:wrap;gap:6px 18px;margin:8px 0 0;padding:0;list-style:none}
.facts b{font-weight:600}
.summary{margin:16px 0 0;padding:10px 14px;border-radius:8px;background:var(--panel);border:1px solid var(--line)}
.summary p{margin:2px 0}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:6px 10px;text-align:left;border-bottom:1px solid var(--line);white-space:nowrap;vertical-align:top}
th{font-weight:600;font-size:.88em;color:var(--muted)}
td.num,th.num{text-align:right}
td.detail{white-space:normal;min-width:18em;word-break:break-word}
td.wrap{white-space:normal}
.nw{white-space:nowrap}
tr.expired td{color:var(--muted)}
.bar{display:inline-block;width:90px;height:8px;margin-left:8px;border-radius:4px;background:var(--line);vertical-align:middle;overflow:hidden}
.fill{display:block;height:100%;background:var(--bar)}
.fill.warn{background:var(--warnbar)}
.fill.over{background:repeating-linear-gradient(135deg,var(--badbar) 0 6px,transparent 6px 9px),var(--badbar)}
.pct.over{color:var(--bad);font-weight:700}
.pct.warn{color:var(--warn);font-weight:600}
.tag{display:inline-block;padding:0 7px;border-radius:9px;font-size:.82em;border:1px solid currentColor}
.tag.live{color:var(--ok)}
.tag.expired{color:var(--muted)}
.tag.bad{color:var(--bad)}
.ok{color:var(--ok)}
.bad{color:var(--bad)}
.empty{padding:10px 14px;border:1px dashed var(--line);border-radius:8px}
.more{margin:6px 0 0}
footer{margin:28px 0 8px;font-size:.9em}
footer a{margin-right:14px}
@media (max-width:640px){body{font-size:14px}main{padding:10px}
table.cards thead{display:none}
table.cards tr{display:block;padding:7px 0;border-bottom:1px solid var(--line)}
table.cards td{display:inline-block;border:0;padding:1px 12px 1px 0;white-space:nowrap}
table.cards td:first-child{display:block;font-weight:600}
table.cards td.detail,table.cards td.wrap{display:block;min-width:0;white-space:normal}
table.cards td[data-label]::before{content:attr(data-label) " ";color:var(--muted);font-size:.85em}
td.num{text-align:left}}
${widths}
`

/** The CSP source that allows exactly STATUS_STYLE. */
export const STATUS_STYLE_HASH = `'sha256-${createHash('sha256').update(STATUS_STYLE).digest('base64')}'`
