/**
 * Keeps the README true: its configuration table is exactly the one generated from SETTINGS, it
 * shows the two commands (start, run all tests), and `.ci/run` runs that test command.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { configEnvNames, loadConfig } from '../../src/config.js';
import { configTable } from './config-doc.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('holds the configuration table generated from src/config.ts', () => {
    const m = /<!-- config-table:start[^>]*-->\n([\s\S]*?)\n<!-- config-table:end -->/.exec(readme);
    assert.ok(m, 'config table markers present');
    assert.equal(m[1], configTable(), 'regenerate with: node --import tsx test/unit/config-doc.ts');
    for (const name of configEnvNames()) assert.ok(readme.includes(`\`${name}\``), name);
  });

  it('shows the start command and the test command, and .ci/run runs the test command', () => {
    assert.ok(readme.includes('npm ci && npm start'));
    assert.ok(readme.includes('npm run test:all'));
    const ci = readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8');
    assert.match(ci, /npm run test:all/);
  });

  it('the defaults documented are the defaults loadConfig applies', () => {
    const c = loadConfig({});
    assert.equal(c.port, 3000);
    assert.equal(c.storageType, 'disk');
    assert.equal(c.storageRoot, './data');
    assert.equal(c.fillConcurrency, 8);
  });
});
