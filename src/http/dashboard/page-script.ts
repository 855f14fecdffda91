/**
 * The dashboard's script (served at /dashboard.js): polls /stats every few seconds and renders it
 * with textContent only (module paths and errors are never parsed as HTML).
 */
export const DASHBOARD_JS = String.raw`(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';

  function get(obj, path) {
    return path.split('.').reduce(function (o, k) { return o == null ? undefined : o[k]; }, obj);
  }
  function formatInt(n) { return Math.round(n).toLocaleString('en-US'); }
  function formatRatio(r) { return r == null ? '–' : (r * 100).toFixed(1) + '%'; }
  function formatBytes(n) {
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    var i = 0;
    while (n >= 1024 && i < units.length - 1) { n = n / 1024; i++; }
    return i === 0 ? n + ' B' : n.toFixed(1) + ' ' + units[i];
  }
  function formatDuration(s) {
    if (s < 120) return s + 's';
    if (s < 7200) return Math.floor(s / 60) + 'm';
    return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm';
  }
  function format(kind, v) {
    if (kind === 'ratio') return formatRatio(v);
    if (v == null) return '–';
    if (kind === 'int') return formatInt(v);
    if (kind === 'bytes') return formatBytes(v);
    if (kind === 'duration') return formatDuration(v);
    return String(v);
  }
  function time(iso) { return new Date(iso).toLocaleTimeString('en-GB', { hour12: false }); }
  function cell(tr, text, cls) {
    var td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }
  function fillTable(id, rows, columns, empty) {
    var body = document.querySelector('#' + id + ' tbody');
    body.textContent = '';
    if (rows.length === 0) {
      var tr = document.createElement('tr');
      var td = cell(tr, empty, 'empty');
      td.colSpan = columns;
      body.appendChild(tr);
      return;
    }
    rows.forEach(function (r) { body.appendChild(r); });
  }
  function moduleAt(f) { return f.version ? f.module + '@' + f.version : f.module; }

  function renderChart(all) {
    // Leading empty minutes are left out (at least the last 30 minutes are shown).
    var first = all.findIndex(function (b) { return b.upstreamRequests > 0 || b.avoided > 0 || b.requestsServed > 0; });
    var series = all.slice(first < 0 ? Math.max(0, all.length - 30) : Math.min(first, Math.max(0, all.length - 30)));
    var svg = document.getElementById('chart');
    svg.textContent = '';
    var n = series.length;
    var peak = 0;
    series.forEach(function (b) { peak = Math.max(peak, b.upstreamRequests, b.avoided); });
    document.getElementById('chart-minutes').textContent = String(n);
    document.getElementById('chart-peak').textContent = formatInt(peak);
    svg.setAttribute('viewBox', '0 0 ' + n * 4 + ' 100');
    var scale = peak === 0 ? 0 : 96 / peak;
    series.forEach(function (b, i) {
      [['avoided', '#86efac', 0], ['upstreamRequests', '#2563eb', 2]].forEach(function (s) {
        var v = b[s[0]];
        if (v === 0) return;
        var h = Math.max(1, v * scale);
        var rect = document.createElementNS(SVG, 'rect');
        rect.setAttribute('x', String(i * 4 + s[2]));
        rect.setAttribute('y', String(100 - h));
        rect.setAttribute('width', '2');
        rect.setAttribute('height', String(h));
        rect.setAttribute('fill', s[1]);
        var title = document.createElementNS(SVG, 'title');
        title.textContent = time(b.minute) + ': ' + v + (s[0] === 'avoided' ? ' avoided' : ' upstream requests');
        rect.appendChild(title);
        svg.appendChild(rect);
      });
    });
  }

  function render(stats) {
    document.querySelectorAll('[data-stat]').forEach(function (el) {
      el.textContent = format(el.getAttribute('data-format'), get(stats, el.getAttribute('data-stat')));
    });
    fillTable('top-modules', stats.topModules.map(function (m) {
      var tr = document.createElement('tr');
      cell(tr, m.module, 'mono');
      cell(tr, formatInt(m.requests), 'num');
      cell(tr, formatInt(m.hits), 'num');
      return tr;
    }), 3, 'no module requests yet');
    fillTable('recent-fills', stats.recentFills.map(function (f) {
      var tr = document.createElement('tr');
      cell(tr, time(f.at));
      cell(tr, f.kind);
      cell(tr, moduleAt(f), 'mono');
      cell(tr, formatInt(f.durationMs) + ' ms', 'num');
      cell(tr, f.outcome, 'outcome-' + f.outcome);
      return tr;
    }), 5, 'no fills yet');
    fillTable('recent-errors', stats.recentErrors.map(function (f) {
      var tr = document.createElement('tr');
      cell(tr, time(f.at));
      cell(tr, moduleAt(f), 'mono');
      cell(tr, f.error || f.outcome, 'outcome-error');
      return tr;
    }), 3, 'no errors');
    renderChart(stats.perMinute);
  }

  var status = document.getElementById('status');
  var line = 'GOPROXY=' + location.origin;
  document.getElementById('goproxy').textContent = line;
  document.getElementById('copy').addEventListener('click', function () {
    if (navigator.clipboard) navigator.clipboard.writeText(line);
  });

  function poll() {
    fetch('/stats', { cache: 'no-store' })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(function (stats) {
        render(stats);
        status.className = '';
        status.textContent = 'updated ' + time(stats.generatedAt);
        document.body.setAttribute('data-generated', stats.generatedAt);
      })
      .catch(function (err) {
        status.className = 'error';
        status.textContent = 'stats unavailable: ' + err.message;
      });
  }
  poll();
  // ?refresh=<seconds> overrides the default poll interval (at least 1 s)
  var refresh = Number(new URLSearchParams(location.search).get('refresh')) * 1000;
  var interval = refresh >= 1000 ? refresh : Number(document.body.getAttribute('data-interval')) || 5000;
  setInterval(poll, interval);
})();
`;
