/** The dashboard page at `/`: plain HTML; numbers are filled in by dashboard.js from /stats. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>stoa — Go module proxy</title>
<link rel="icon" href="data:,">
<style>
  :root { --fg: #1d2330; --muted: #667085; --line: #e4e7ec; --accent: #2563eb; --good: #15803d; --bad: #b91c1c; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: #f7f8fa; }
  header { display: flex; align-items: baseline; gap: 16px; padding: 16px 24px; background: #fff; border-bottom: 1px solid var(--line); }
  header h1 { margin: 0; font-size: 20px; }
  header .meta { color: var(--muted); }
  main { padding: 16px 24px 40px; max-width: 1280px; }
  .goproxy { display: flex; gap: 8px; align-items: center; margin: 8px 0 16px; }
  .goproxy code { padding: 8px 12px; background: #111827; color: #f9fafb; border-radius: 6px; font-size: 14px; }
  button { font: inherit; padding: 6px 12px; border: 1px solid var(--line); background: #fff; border-radius: 6px; cursor: pointer; }
  .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 12px; }
  .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
  .card h2 { margin: 0 0 4px; font-size: 12px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
  .card .value { font-size: 26px; font-weight: 650; }
  .card .lifetime { color: var(--muted); font-size: 12px; }
  .card.highlight .value { color: var(--good); }
  section { margin-top: 20px; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
  section h2 { margin: 0 0 8px; font-size: 15px; }
  table { width: 100%; border-collapse: collapse; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { color: var(--muted); font-weight: 600; font-size: 12px; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  td.mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; word-break: break-all; }
  .outcome-ok { color: var(--good); }
  .outcome-error { color: var(--bad); }
  .outcome-not_found { color: var(--muted); }
  .empty { color: var(--muted); }
  #chart { width: 100%; height: 160px; display: block; }
  .legend { display: flex; gap: 16px; color: var(--muted); font-size: 12px; }
  .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; }
  #status { color: var(--muted); }
  #status.error { color: var(--bad); }
  .grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 0 20px; }
  @media (max-width: 900px) { .grid2 { grid-template-columns: 1fr; } }
</style>
</head>
<body data-interval="5000">
<header>
  <h1>stoa</h1>
  <span class="meta">Go module proxy cache · replica <span data-stat="replica" data-format="text">…</span> · up <span data-stat="uptimeSeconds" data-format="duration">…</span></span>
  <span id="status">loading…</span>
</header>
<main>
  <div class="goproxy">
    <code id="goproxy">GOPROXY=…</code>
    <button id="copy" type="button">Copy</button>
  </div>
  <p class="empty">Paste this line into a workflow's environment (for example a GitHub Actions <code>env:</code> block) to fetch modules through this proxy.</p>

  <div class="cards">
    <div class="card highlight"><h2>Hit ratio</h2><div class="value" data-stat="sinceStart.hitRatio" data-format="ratio">…</div>
      <div class="lifetime">lifetime <span data-stat="lifetime.hitRatio" data-format="ratio">…</span></div></div>
    <div class="card"><h2>Hit ratio, info/mod/zip</h2><div class="value" data-stat="sinceStart.immutableHitRatio" data-format="ratio">…</div>
      <div class="lifetime">lifetime <span data-stat="lifetime.immutableHitRatio" data-format="ratio">…</span></div></div>
    <div class="card highlight"><h2>GitHub requests avoided</h2><div class="value" data-stat="sinceStart.upstreamRequestsAvoided" data-format="int">…</div>
      <div class="lifetime">lifetime <span data-stat="lifetime.upstreamRequestsAvoided" data-format="int">…</span></div></div>
    <div class="card"><h2>Upstream requests made</h2><div class="value" data-stat="sinceStart.upstreamRequests" data-format="int">…</div>
      <div class="lifetime">lifetime <span data-stat="lifetime.upstreamRequests" data-format="int">…</span> · failed <span data-stat="sinceStart.upstreamFailures" data-format="int">…</span></div></div>
    <div class="card"><h2>Requests served</h2><div class="value" data-stat="sinceStart.requestsServed" data-format="int">…</div>
      <div class="lifetime">lifetime <span data-stat="lifetime.requestsServed" data-format="int">…</span></div></div>
    <div class="card"><h2>Bytes served</h2><div class="value" data-stat="sinceStart.bytesServed" data-format="bytes">…</div>
      <div class="lifetime">lifetime <span data-stat="lifetime.bytesServed" data-format="bytes">…</span></div></div>
    <div class="card"><h2>Bytes fetched upstream</h2><div class="value" data-stat="sinceStart.upstreamBytes" data-format="bytes">…</div>
      <div class="lifetime">lifetime <span data-stat="lifetime.upstreamBytes" data-format="bytes">…</span></div></div>
    <div class="card"><h2>Fills in flight</h2><div class="value" data-stat="live.fillsInFlight" data-format="int">…</div>
      <div class="lifetime">queued <span data-stat="live.fillQueueDepth" data-format="int">…</span> · waiters <span data-stat="live.coalescedWaiters" data-format="int">…</span></div></div>
  </div>

  <section>
    <h2>Upstream requests per minute (last <span id="chart-minutes">…</span> minutes)</h2>
    <div class="legend"><span><span class="swatch" style="background:#2563eb"></span>upstream requests made</span>
      <span><span class="swatch" style="background:#86efac"></span>client requests answered without upstream</span>
      <span>peak <span id="chart-peak">…</span>/min</span></div>
    <svg id="chart" role="img" aria-label="upstream requests per minute" preserveAspectRatio="none"></svg>
  </section>

  <div class="grid2">
    <section>
      <h2>Top modules (since start)</h2>
      <table id="top-modules"><thead><tr><th>module</th><th class="num">requests</th><th class="num">cache hits</th></tr></thead><tbody></tbody></table>
    </section>
    <section>
      <h2>Recent errors</h2>
      <table id="recent-errors"><thead><tr><th>when</th><th>module@version</th><th>error</th></tr></thead><tbody></tbody></table>
    </section>
  </div>

  <section>
    <h2>Recent fills</h2>
    <table id="recent-fills"><thead><tr><th>when</th><th>kind</th><th>module@version</th><th class="num">duration</th><th>outcome</th></tr></thead><tbody></tbody></table>
  </section>
</main>
<script src="/dashboard.js"></script>
</body>
</html>
`;
