/**
 * The dashboard at `/` in headless Chromium (playwright-core, Debian's chromium): after real go
 * traffic (misses, hits, a not-found and a failing fill), every number the page shows equals
 * /stats, the tables list the same modules and fills, the GOPROXY line names the page's origin,
 * and the page updates live. Writes test-results/dashboard.png.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { StatsReport } from '../../src/stats/stats-service.js';
import { startHarness, type Harness } from './harness.js';
import { getStats, publishFixtureSet, publishRepo } from './observability-helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (Debian package chromium)`;

function get(stats: StatsReport, dotted: string): unknown {
  let v: unknown = stats;
  for (const k of dotted.split('.'))
    v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** The number a shown text stands for, in the unit /stats uses. */
function shownNumber(format: string, text: string): number | null {
  if (text === '–') return null;
  if (format === 'ratio') return Number(text.replace('%', '')) / 100;
  if (format === 'int') return Number(text.replaceAll(',', ''));
  if (format === 'bytes') {
    const m = /^([\d.]+) (B|KiB|MiB|GiB|TiB)$/.exec(text);
    assert.ok(m, `bytes shown as ${text}`);
    return Number(m[1]) * 1024 ** ['B', 'KiB', 'MiB', 'GiB', 'TiB'].indexOf(m[2] ?? '');
  }
  throw new Error(`no number format ${format}`);
}

/** How close a shown number must be: the page rounds ratios to 0.1 % and bytes to 0.1 of a unit. */
function tolerance(format: string, value: number): number {
  if (format === 'ratio') return 0.0005;
  if (format === 'bytes')
    return value < 1024 ? 0 : 0.05 * 1024 ** Math.floor(Math.log(value) / Math.log(1024));
  return 0;
}

/** The cell texts of every row matching `selector`. */
async function cells(page: Page, selector: string): Promise<string[][]> {
  const out: string[][] = [];
  for (const row of await page.locator(selector).all()) out.push(await row.locator('td').allTextContents());
  return out;
}

describe('dashboard in headless Chromium', { skip }, () => {
  let h: Harness;
  let context: BrowserContext;
  let profile: string;

  before(async () => {
    h = await startHarness({
      intercept: (req, res) => {
        if (!(req.url ?? '').startsWith('/acme/broken')) return false;
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('upstream exploded\n');
        return true;
      },
    });
    const modules = publishFixtureSet(h.gitRoot);
    publishRepo(h.gitRoot, 'acme/broken', (r) => {
      r.write({ 'go.mod': 'module github.com/acme/broken\n' }).commit('init');
      r.tag('v1.0.0');
    });
    for (let pass = 0; pass < 2; pass++) {
      const r = await h.viaStoa().run(['mod', 'download', '-json', ...modules]);
      assert.equal(r.code, 0, r.stderr + r.stdout);
    }
    for (const p of ['/github.com/acme/hello/@v/v9.9.9.info', '/github.com/acme/broken/@v/v1.0.0.info']) {
      await (await fetch(h.stoa.url + p)).text();
    }
    profile = mkdtempSync(path.join(tmpdir(), 'stoa-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 1100 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });

  after(async () => {
    await context?.close();
    await h?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('shows the numbers of /stats, the GOPROXY line, the tables, and updates live', async () => {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    await page.goto(`${h.stoa.url}/?refresh=1`);
    await page.waitForSelector('body[data-generated]');
    const stats = await getStats(h.stoa.url);

    const shown: { path: string; format: string; text: string }[] = [];
    for (const el of await page.locator('[data-stat]').all()) {
      shown.push({
        path: (await el.getAttribute('data-stat')) ?? '',
        format: (await el.getAttribute('data-format')) ?? '',
        text: (await el.textContent()) ?? '',
      });
    }
    let compared = 0;
    for (const s of shown) {
      if (s.format === 'duration') continue; // uptime moves on
      const want = get(stats, s.path);
      if (s.format === 'text') {
        assert.equal(s.text, String(want), s.path);
        continue;
      }
      const got = shownNumber(s.format, s.text);
      if (want === null) {
        assert.equal(got, null, `${s.path} shown as ${s.text}`);
        continue;
      }
      assert.equal(typeof want, 'number', s.path);
      const w = want as number;
      assert.ok(
        got !== null && Math.abs(got - w) <= tolerance(s.format, w),
        `${s.path}: shown ${s.text}, /stats ${w}`,
      );
      compared++;
    }
    assert.ok(compared >= 15, `numbers compared: ${compared}`);
    assert.ok(stats.sinceStart.upstreamRequestsAvoided > 0 && stats.sinceStart.hitRatio !== null);

    assert.equal(await page.textContent('#goproxy'), `GOPROXY=${h.stoa.url}`);

    const top = await cells(page, '#top-modules tbody tr');
    assert.deepEqual(
      top,
      stats.topModules.map((m) => [
        m.module,
        m.requests.toLocaleString('en-US'),
        m.hits.toLocaleString('en-US'),
      ]),
    );
    assert.ok(top.length >= 2);

    const fills = await cells(page, '#recent-fills tbody tr');
    assert.equal(fills.length, stats.recentFills.length);
    fills.forEach((row, i) => {
      const f = stats.recentFills[i];
      assert.ok(f);
      assert.equal(row[1], f.kind);
      assert.equal(row[2], f.version ? `${f.module}@${f.version}` : f.module);
      assert.equal(row[3], `${Math.round(f.durationMs).toLocaleString('en-US')} ms`);
      assert.equal(row[4], f.outcome);
    });
    assert.ok(stats.recentFills.some((f) => f.outcome === 'not_found'));

    const errors = await page.locator('#recent-errors tbody tr').allTextContents();
    assert.equal(errors.length, stats.recentErrors.length);
    assert.ok(
      errors.some((e) => e.includes('github.com/acme/broken') && e.includes('HTTP 500')),
      errors.join('\n'),
    );

    const peak = Math.max(...stats.perMinute.map((b) => Math.max(b.upstreamRequests, b.avoided)));
    assert.equal(await page.textContent('#chart-peak'), peak.toLocaleString('en-US'));
    assert.ok((await page.$$('#chart rect')).length > 0, 'the chart draws bars');

    // live: one more GOPROXY request shows up without a reload
    const before = stats.sinceStart.requestsServed;
    await (await fetch(`${h.stoa.url}/github.com/acme/other/@v/v0.1.0.mod`)).text();
    const shownServed = page.locator('[data-stat="sinceStart.requestsServed"]');
    await shownServed.filter({ hasText: new RegExp(`^${before + 1}$`) }).waitFor({ timeout: 20_000 });

    const out = path.join(repoRoot, 'test-results');
    mkdirSync(out, { recursive: true });
    await page.screenshot({ path: path.join(out, 'dashboard.png'), fullPage: true });
    assert.deepEqual(problems, [], 'no script errors or CSP violations');
    await page.close();
  });
});
