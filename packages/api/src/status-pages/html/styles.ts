// The page's only stylesheet, inlined: no external asset, nothing to load before the status is
// readable. Text colours keep ≥ 4.5:1 against their background in both schemes (checked with
// the WCAG formula: the lowest is 4.72:1, orange text on the light card). Bars and accents are
// not text; every one of them is repeated in words.

export const STYLES = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --card: #f6f8fa; --fg: #1f2328; --muted: #57606a; --line: #d0d7de;
  --link: #0b57d0; --focus: #0b57d0;
  --ok: #1a7f37; --minor: #8a6100; --major: #b45309; --critical: #b42318; --maint: #1d5fb8;
  --bar-ok: #2fcc66;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --card: #161b22; --fg: #e6edf3; --muted: #9aa4ae; --line: #30363d;
    --link: #8ab4f8; --focus: #8ab4f8;
    --ok: #4ac26b; --minor: #e3b341; --major: #f0883e; --critical: #ff8a80; --maint: #79b8ff;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--fg);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
}
a { color: var(--link); }
a:focus-visible, [tabindex]:focus-visible, summary:focus-visible {
  outline: 3px solid var(--focus); outline-offset: 2px;
}
.visually-hidden {
  position: absolute !important; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap;
}
.skip-link { position: absolute; left: 8px; top: -48px; padding: 8px 12px; background: var(--bg); z-index: 10; }
.skip-link:focus { top: 8px; }
.wrap { max-width: 860px; margin: 0 auto; padding: 0 16px; }
header.masthead { border-bottom: 1px solid var(--line); }
header.masthead .wrap { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 8px 16px; padding-top: 20px; padding-bottom: 16px; }
h1 { font-size: 1.6rem; margin: 0; overflow-wrap: anywhere; }
h1 a { color: inherit; text-decoration: none; }
nav ul { display: flex; gap: 16px; list-style: none; margin: 0; padding: 0; font-size: .95rem; }
main { padding: 8px 0 32px; }
h2 { font-size: 1.25rem; margin: 32px 0 12px; }
h3 { font-size: 1.05rem; margin: 0; overflow-wrap: anywhere; }
section { margin: 0; }
.page-status, .notice {
  margin: 0; padding: 14px 16px; background: var(--card); border: 1px solid var(--line);
  border-left: 8px solid var(--accent, var(--ok)); border-radius: 6px; font-size: 1.15rem; font-weight: 600;
}
.status-none { --accent: var(--ok); }
.status-minor, .impact-minor { --accent: var(--minor); }
.status-major, .impact-major { --accent: var(--major); }
.status-critical, .impact-critical { --accent: var(--critical); }
.status-maintenance, .impact-maintenance { --accent: var(--maint); }
.impact-none { --accent: var(--muted); }
.incident-block {
  margin: 0 0 16px; padding: 14px 16px; background: var(--card); border: 1px solid var(--line);
  border-left: 8px solid var(--accent); border-radius: 6px;
}
.impact-label { display: inline-block; margin: 2px 0 6px; font-size: .85rem; font-weight: 600; color: var(--accent); }
.updates { list-style: none; margin: 8px 0 0; padding: 0; }
.updates li { margin: 0 0 10px; overflow-wrap: anywhere; }
.updates small, .muted { color: var(--muted); }
.components { list-style: none; margin: 0; padding: 0; border: 1px solid var(--line); border-radius: 6px; }
.components > li { padding: 14px 16px; border-top: 1px solid var(--line); }
.components > li:first-child { border-top: 0; }
.components ul { list-style: none; margin: 10px 0 0; padding: 0 0 0 16px; border-left: 2px solid var(--line); }
.components ul li { padding: 10px 0; }
.row { display: flex; flex-wrap: wrap; justify-content: space-between; gap: 4px 12px; align-items: baseline; }
.name { font-weight: 600; overflow-wrap: anywhere; }
.description { display: block; font-weight: 400; font-size: .9rem; color: var(--muted); }
.component-status { font-size: .95rem; font-weight: 600; }
.component-status.operational { color: var(--ok); }
.component-status.degraded_performance { color: var(--minor); }
.component-status.partial_outage { color: var(--major); }
.component-status.major_outage { color: var(--critical); }
.component-status.under_maintenance { color: var(--maint); }
details { margin-top: 8px; }
summary { cursor: pointer; width: fit-content; color: var(--link); font-size: .9rem; }
.uptime { margin-top: 10px; position: relative; }
.bars { display: grid; grid-template-columns: repeat(90, 1fr); gap: 2px; height: 34px; margin: 0; padding: 0; list-style: none; }
.bars > li { padding: 0; border-radius: 1px; min-width: 0; }
.bars > li:hover { outline: 2px solid var(--fg); outline-offset: 1px; }
.tip {
  display: none; position: absolute; left: 0; right: 0; top: calc(100% + 4px); z-index: 5; padding: 8px 10px;
  background: var(--bg); color: var(--fg); border: 1px solid var(--line); border-radius: 6px;
  box-shadow: 0 4px 14px rgba(0,0,0,.18); font-size: .9rem; white-space: pre-line;
}
.bars > li:hover .tip, .bars > li:focus .tip { display: block; }
.legend { display: flex; justify-content: space-between; gap: 8px; margin-top: 4px; font-size: .8rem; color: var(--muted); }
.legend .percent { color: var(--fg); }
.day-heading { font-size: 1rem; margin: 20px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
.past h4 { font-size: 1rem; margin: 8px 0 0; overflow-wrap: anywhere; }
.past h4 a { color: var(--fg); }
.past article { border-left: 4px solid var(--accent); padding-left: 10px; margin-bottom: 12px; }
.pagination { display: flex; justify-content: space-between; gap: 16px; margin-top: 24px; }
footer { border-top: 1px solid var(--line); padding: 16px 0 32px; font-size: .9rem; color: var(--muted); }
footer .wrap { display: flex; flex-wrap: wrap; justify-content: space-between; gap: 8px; }
@media (max-width: 480px) {
  .bars { gap: 1px; height: 28px; }
  .wrap { padding: 0 12px; }
  h1 { font-size: 1.35rem; }
}
`;
