import { escapeHtml } from './html-escape.js';

/**
 * Blocks everything a report page could load: it needs no network, and a run's data (labels,
 * config) must not be able to make it fetch anything either.
 */
const CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

/**
 * A whole self-contained report page (run or sweep): the locked-down head with {@link REPORT_CSS}
 * plus `extraCss` inlined, and `body` (already-escaped HTML) inside `<main>`.
 */
export function reportPage(title: string, body: string, extraCss = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="mlops">
<title>${escapeHtml(title)}</title>
<style>${REPORT_CSS}${extraCss}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/** The report's whole stylesheet, inlined into `<style>` (the file must work offline). */
export const REPORT_CSS = `
:root { color-scheme: light; --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --bg: #f6f8fa; --card: #ffffff;
  --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --info: #0969da; --pruned: #8250df; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 14px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 24px; margin: 0; word-break: break-all; }
h2 { font-size: 18px; margin: 32px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; margin: 16px 0 8px; color: var(--muted); font-weight: 600; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.run-header { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 18px 22px; }
.title-row { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
.identity { margin: 6px 0 0; color: var(--muted); }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 10px 24px; margin: 16px 0 0; }
.facts dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.facts dd { margin: 2px 0 0; }
.packages { margin: 14px 0 0; line-height: 2; }
.label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; margin-right: 6px; }
.chip, .tag { display: inline-block; border: 1px solid var(--line); border-radius: 12px; padding: 0 8px;
  font-size: 12px; background: var(--bg); line-height: 20px; }
.badge { display: inline-block; border-radius: 12px; padding: 1px 10px; font-size: 12px; font-weight: 600;
  border: 1px solid currentColor; }
.badge.ok { color: var(--ok); } .badge.bad { color: var(--bad); } .badge.warn { color: var(--warn); }
.badge.info { color: var(--info); } .badge.muted { color: var(--muted); }
.badge.pruned { color: var(--pruned); border-style: dashed; }
.bad-text { color: var(--bad); }
.note { color: var(--muted); font-size: 12px; }
.none, .muted { color: var(--muted); font-weight: normal; }
nav.toc { margin: 14px 0 0; display: flex; gap: 14px; flex-wrap: wrap; font-size: 13px; }
nav.toc a { color: var(--info); text-decoration: none; }
section.error { background: #fff5f5; border: 1px solid #ffc1c0; border-radius: 8px; padding: 4px 18px 10px; margin-top: 20px; }
section.error h2 { color: var(--bad); border: 0; }
section.ended { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 4px 18px 10px; margin-top: 20px; }
section.ended h2 { border: 0; } section.ended.pruned h2 { color: var(--pruned); } section.ended.interrupted h2 { color: var(--warn); }
.hint { color: var(--muted); }
table.stages { border-collapse: collapse; background: var(--card); border: 1px solid var(--line); min-width: 60%; }
table.stages th, table.stages td { padding: 6px 14px; border-bottom: 1px solid var(--line); text-align: left; }
table.stages thead th { background: var(--bg); font-size: 12px; color: var(--muted); text-transform: uppercase; }
.num { text-align: right !important; font-variant-numeric: tabular-nums; }
.metrics { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 8px; }
.metric { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
.metric-name { color: var(--muted); font-size: 12px; word-break: break-all; }
.metric-value { font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums; word-break: break-all; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: 16px; }
.grid.wide { grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; margin: 0; padding: 10px; }
.chart svg { display: block; margin: 0 auto; width: auto; height: auto; max-width: 100%; }
.histogram-row .row { display: flex; gap: 10px; flex-wrap: wrap; }
.histogram-row svg { background: var(--card); border: 1px solid var(--line); border-radius: 6px; }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 12px; }
.image img { display: block; width: 100%; height: auto; image-rendering: pixelated; background: #000; }
.image figcaption { font-size: 12px; color: var(--muted); margin-top: 6px; word-break: break-all; }
details { background: var(--card); border: 1px solid var(--line); border-radius: 8px; margin: 10px 0; }
summary { cursor: pointer; padding: 10px 14px; font-weight: 600; }
pre.json { margin: 0; padding: 12px 16px; border-top: 1px solid var(--line); overflow: auto; max-height: 600px; }
.json .k { color: #0550ae; } .json .s { color: #0a3069; } .json .n { color: #953800; } .json .l { color: #8250df; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
@media print { body { background: #fff; } .card, .run-header { break-inside: avoid; } }
`;
