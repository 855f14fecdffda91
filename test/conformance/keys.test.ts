import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StorageError } from '../../storage/blob-store.js';
import {
  athensDiskLayout,
  athensObjectLayout,
  escapeCase,
  stoaLayout,
  unescapeCase,
} from '../../storage/keys.js';

describe('key layouts', () => {
  it('escapes and unescapes case like the go command', () => {
    assert.equal(escapeCase('github.com/Azure/go-autorest'), 'github.com/!azure/go-autorest');
    assert.equal(escapeCase('v1.0.0-RC1'), 'v1.0.0-!r!c1');
    assert.equal(unescapeCase('github.com/!azure/go-autorest'), 'github.com/Azure/go-autorest');
    assert.equal(unescapeCase('github.com/Azure'), null);
    assert.equal(unescapeCase('bad!'), null);
    assert.equal(unescapeCase('bad!!x'), null);
    assert.throws(() => escapeCase('a!b'), StorageError);
  });

  it('stoa: escaped keys under @v, and parses them back', () => {
    const l = stoaLayout();
    assert.equal(l.info('github.com/Azure/x', 'v1.0.0-Beta'), 'github.com/!azure/x/@v/v1.0.0-!beta.info');
    assert.equal(l.mod('github.com/Azure/x', 'v1.0.0'), 'github.com/!azure/x/@v/v1.0.0.mod');
    assert.equal(l.zip('github.com/Azure/x', 'v1.0.0'), 'github.com/!azure/x/@v/v1.0.0.zip');
    assert.equal(l.zipRecord('github.com/Azure/x', 'v1.0.0'), 'github.com/!azure/x/@v/v1.0.0.ziprecord');
    assert.equal(l.list('github.com/Azure/x'), 'github.com/!azure/x/@v/list');
    assert.equal(l.latest('github.com/Azure/x'), 'github.com/!azure/x/@latest');
    assert.equal(
      l.versionOfInfoKey('github.com/Azure/x', 'github.com/!azure/x/@v/v1.0.0-!beta.info'),
      'v1.0.0-Beta',
    );
    assert.equal(l.versionOfInfoKey('github.com/Azure/x', 'github.com/!azure/x/@v/v1.0.0.mod'), null);
    assert.equal(l.versionOfInfoKey('github.com/Azure/x', 'github.com/!azure/x/v2/@v/v2.0.0.info'), null);
    assert.deepEqual(l.parseInfoKey('github.com/!azure/x/v2/@v/v2.0.0.info'), {
      module: 'github.com/Azure/x/v2',
      version: 'v2.0.0',
    });
    assert.equal(l.parseInfoKey('github.com/!azure/x/@v/list'), null);
  });

  it('athens disk/minio: <module>/<version>/go.mod|source.zip|<version>.info, unescaped', () => {
    const l = athensDiskLayout();
    assert.equal(l.mod('github.com/Azure/x', 'v1.0.0'), 'github.com/Azure/x/v1.0.0/go.mod');
    assert.equal(l.zip('github.com/Azure/x', 'v1.0.0'), 'github.com/Azure/x/v1.0.0/source.zip');
    assert.equal(l.info('github.com/Azure/x', 'v1.0.0'), 'github.com/Azure/x/v1.0.0/v1.0.0.info');
    assert.equal(l.zipRecord('github.com/Azure/x', 'v1.0.0'), null);
    assert.equal(l.versionOfInfoKey('github.com/Azure/x', 'github.com/Azure/x/v2/v2.0.0/v2.0.0.info'), null);
    assert.deepEqual(l.parseInfoKey('github.com/Azure/x/v2/v2.0.0/v2.0.0.info'), {
      module: 'github.com/Azure/x/v2',
      version: 'v2.0.0',
    });
    assert.equal(l.parseInfoKey('github.com/Azure/x/v1.0.0/v1.1.0.info'), null);
  });

  it('athens s3/gcp: <module>/@v/<version>.<ext>, unescaped', () => {
    const l = athensObjectLayout();
    assert.equal(l.info('github.com/Azure/x', 'v1.0.0'), 'github.com/Azure/x/@v/v1.0.0.info');
    assert.equal(l.zip('github.com/Azure/x', 'v1.0.0'), 'github.com/Azure/x/@v/v1.0.0.zip');
    assert.deepEqual(l.parseInfoKey('github.com/Azure/x/@v/v1.0.0.info'), {
      module: 'github.com/Azure/x',
      version: 'v1.0.0',
    });
  });
});
