/**
 * The console's stylesheet and its one script, served from /assets/ (the Content-Security-Policy allows
 * only same-origin scripts and styles: nothing inline).
 */

export const CSS = `
:root { --fg: #1a1a1a; --muted: #4d4d4d; --bg: #ffffff; --panel: #f4f5f7; --line: #c9ccd1; --link: #0b57d0;
  --ok: #146c2e; --ok-bg: #dff3e4; --bad: #a50e0e; --bad-bg: #fce8e6; --warn: #7a4a00; --warn-bg: #fef3d6;
  --run: #0b4f8a; --run-bg: #e2eefc; --rds: #5b3cc4; --rewind: #b35900; --focus: #ffbf47; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--link); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible, [tabindex]:focus-visible {
  outline: 3px solid var(--focus); outline-offset: 2px; box-shadow: 0 0 0 5px #1a1a1a; }
.skip { position: absolute; left: -9999px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 6px; z-index: 9; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 20px; padding: 10px 20px; background: #1f2933; color: #fff; }
header.top .brand { font-weight: 700; font-size: 17px; color: #fff; text-decoration: none; }
header.top nav ul { display: flex; flex-wrap: wrap; gap: 4px; list-style: none; margin: 0; padding: 0; }
header.top nav a { color: #fff; text-decoration: none; padding: 6px 10px; border-radius: 4px; display: inline-block; }
header.top nav a[aria-current="page"] { background: #fff; color: #1f2933; font-weight: 600; }
header.top .target { margin-left: auto; font-size: 13px; color: #d7dde3; }
main { max-width: 1280px; margin: 0 auto; padding: 16px 20px 40px; }
h1 { font-size: 22px; margin: 6px 0 12px; } h2 { font-size: 18px; margin: 24px 0 8px; } h3 { font-size: 16px; margin: 16px 0 6px; }
p.lead { color: var(--muted); margin-top: 0; }
#live-status { max-width: 1280px; margin: 8px auto 0; padding: 0 20px; font-size: 13px; color: var(--muted); min-height: 1.4em; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); font-weight: 600; font-size: 13px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 13px; font-weight: 600; border: 1px solid transparent; white-space: nowrap; }
.s-completed, .s-done, .s-ok { color: var(--ok); background: var(--ok-bg); border-color: #9fd3ae; }
.s-failed, .s-rollback-failed, .s-rejected, .s-poison { color: var(--bad); background: var(--bad-bg); border-color: #f1a8a1; }
.s-running, .s-waiting, .s-rolling-back { color: var(--run); background: var(--run-bg); border-color: #a7c7ee; }
.s-pending, .s-none { color: var(--muted); background: var(--panel); border-color: var(--line); }
.s-warning, .s-transient, .s-delivery, .s-locked { color: var(--warn); background: var(--warn-bg); border-color: #ecc870; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; margin: 10px 0; }
.panel.bad { background: var(--bad-bg); border-color: #f1a8a1; } .panel.warn { background: var(--warn-bg); border-color: #ecc870; }
.panel.ok { background: var(--ok-bg); border-color: #9fd3ae; }
ul.plain { list-style: none; margin: 4px 0 0; padding: 0; } ul.plain > li { margin: 2px 0 6px; } .problem { color: var(--bad); }
tr:has(+ tr.facets) > * { border-bottom: none; } tr.facets > td { padding-top: 0; }
dl.facets { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 4px 24px; margin: 0; }
dl.facets dt { font-size: 13px; font-weight: 600; color: var(--muted); } dl.facets dd { margin: 0; overflow-wrap: anywhere; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 6px 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
form.filters { display: flex; flex-wrap: wrap; gap: 10px 16px; align-items: end; margin: 8px 0 12px; }
form.filters label, form.stack label { display: flex; flex-direction: column; font-size: 13px; font-weight: 600; gap: 2px; }
form.stack { display: grid; gap: 10px; max-width: 520px; }
input, select { font: inherit; padding: 5px 8px; border: 1px solid #6b7280; border-radius: 4px; background: #fff; color: var(--fg); }
button, .button { font: inherit; font-weight: 600; padding: 6px 14px; border-radius: 4px; border: 1px solid #1f2933; background: #1f2933; color: #fff; cursor: pointer; text-decoration: none; display: inline-block; }
.button.secondary, button.secondary { background: #fff; color: #1f2933; }
button.danger { background: var(--bad); border-color: var(--bad); }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0; }
pre { background: var(--panel); border: 1px solid var(--line); padding: 8px 10px; overflow-x: auto; font-size: 13px; white-space: pre-wrap; word-break: break-word; }
.gantt { display: grid; grid-template-columns: minmax(110px, max-content) 1fr minmax(160px, max-content); gap: 6px 12px; align-items: center; margin: 8px 0 4px; }
.gantt .label { font-weight: 600; } .gantt .label small { display: block; font-weight: 400; color: var(--muted); }
.gantt .track { display: block; width: 100%; height: 26px; background: var(--panel); border: 1px solid var(--line); border-radius: 3px; }
.gantt .seg.rewind { fill: url(#hatch); }
.gantt .seg.rds { fill: var(--rds); }
.gantt .seg.failed { stroke: var(--bad); stroke-width: 4; }
.gantt .seg.waiting { opacity: .7; }
.gantt .time { font-size: 13px; font-variant-numeric: tabular-nums; }
.legend { display: flex; flex-wrap: wrap; gap: 16px; font-size: 13px; color: var(--muted); margin: 2px 0 8px; }
.legend .key { display: inline-block; width: 18px; height: 12px; vertical-align: middle; margin-right: 4px; border-radius: 2px; }
.legend .key.rds { background: var(--rds); } .legend .key.rewind { background: repeating-linear-gradient(135deg, var(--rewind), var(--rewind) 4px, #d9822b 4px, #d9822b 8px); }
.graph { width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
.graph .node rect { fill: #fff; stroke: #4b5563; stroke-width: 1.5; }
.graph .node.bus rect { fill: #1f2933; } .graph .node.bus text { fill: #fff; }
.graph .node.visited rect { fill: var(--ok-bg); stroke: var(--ok); stroke-width: 2.5; }
.graph .node.current rect { fill: var(--run-bg); stroke: var(--run); stroke-width: 4; }
.graph .node.failed rect { fill: var(--bad-bg); stroke: var(--bad); stroke-width: 3; }
.graph .node text { font: 13px system-ui, sans-serif; fill: var(--fg); } .graph .node text.title { font-weight: 700; font-size: 15px; }
.graph .node text.small { font-size: 11.5px; fill: var(--muted); }
.graph .edge { stroke: #6b7280; stroke-width: 1.5; fill: none; } .graph .edge.used { stroke: var(--ok); stroke-width: 3; }
.graph .edge.failed { stroke: var(--bad); stroke-width: 3; }
.muted { color: var(--muted); } .nowrap { white-space: nowrap; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 800px) { .gantt { grid-template-columns: 1fr; } }
`;

/**
 * Live pages: `<main data-live="ms">` is fetched again (only its content, header X-Rewind-Fragment) every
 * `ms` while the tab is visible and no form field in it has the focus; the server answers with the next
 * interval in X-Rewind-Live (0 = the page stopped changing: a finished run).
 */
export const LIVE_SCRIPT = `(() => {
  const main = document.getElementById('main');
  const status = document.getElementById('live-status');
  if (!main || !status) return;
  let last = '';
  const say = (text) => { status.textContent = text; };
  const editing = () => {
    const el = document.activeElement;
    return el && main.contains(el) && /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName);
  };
  const schedule = () => {
    const every = Number(main.dataset.live || 0);
    if (every > 0) setTimeout(refresh, every);
  };
  const refresh = async () => {
    if (document.visibilityState !== 'visible' || editing()) return schedule();
    try {
      const res = await fetch(location.href, { headers: { 'X-Rewind-Fragment': 'main' }, cache: 'no-store' });
      if (!res.ok) throw new Error('HTTP ' + res.status);
      const text = await res.text();
      if (text !== last) {
        last = text;
        // Keyboard users keep their place: the focused element is found again by id, link or name.
        const el = document.activeElement && main.contains(document.activeElement) ? document.activeElement : null;
        const key = el && (el.id ? '#' + CSS.escape(el.id)
          : el.getAttribute('href') ? '[href="' + CSS.escape(el.getAttribute('href')) + '"]'
          : el.getAttribute('name') ? '[name="' + CSS.escape(el.getAttribute('name')) + '"]' : null);
        main.innerHTML = text;
        const again = key && main.querySelector(key);
        if (again) again.focus();
      }
      main.dataset.live = res.headers.get('X-Rewind-Live') || '0';
      say(main.dataset.live === '0' ? 'Finished: no more updates.' : 'Live: updated ' + new Date().toLocaleTimeString());
    } catch (err) {
      say('Cannot reach the console (' + err.message + '); retrying.');
    }
    schedule();
  };
  if (Number(main.dataset.live || 0) > 0) { say('Live: updates every ' + (Number(main.dataset.live) / 1000) + ' s.'); schedule(); }
})();
`;
