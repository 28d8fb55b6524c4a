// The docker CLI plugin protocol as vouch reads it (docker/cli docs/extend/cli_plugins.md): the
// metadata call, docker's global options before the command name, and the executable's quoting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVouchError } from '../../../src/core/index.js';
import { parsePluginInvocation, pluginMetadata, pluginScript } from '../../../src/cli/dockerplugin.js';

test('the metadata call, and docker global options (with and without =) skipped up to the command name, --config kept', () => {
  assert.deepEqual(parsePluginInvocation('trust', ['docker-cli-plugin-metadata']), { kind: 'metadata' });
  assert.deepEqual(parsePluginInvocation('trust', ['trust', 'inspect', '--pretty', 'x']), { kind: 'run', args: ['inspect', '--pretty', 'x'] });
  assert.deepEqual(
    parsePluginInvocation('trust', ['--config', '/c', '-D', '--log-level=debug', '-H', 'unix:///s', '--tls', 'trust', 'sign', 'x:1', '--config', 'kept']),
    { kind: 'run', args: ['sign', 'x:1', '--config', 'kept'], config: '/c' },
  );
  assert.deepEqual(parsePluginInvocation('vtrust', ['--config=/d', 'vtrust']), { kind: 'run', args: [], config: '/d' });
});

test('anything else before the command name, a missing name or a value-less option is a usage error', () => {
  const usage = (e: unknown): boolean => isVouchError(e, 'INVALID_ARGUMENT');
  assert.throws(() => parsePluginInvocation('trust', ['--evil', 'trust']), usage);
  assert.throws(() => parsePluginInvocation('trust', ['inspect', 'x']), usage);
  assert.throws(() => parsePluginInvocation('trust', ['--config']), usage);
  assert.throws(() => parsePluginInvocation('trust', []), usage);
});

test('metadata carries the mandatory fields; the executable quotes paths for sh and passes every argument on', () => {
  const meta = pluginMetadata('1.2.3');
  assert.equal(meta.SchemaVersion, '0.1.0');
  assert.equal(meta.Vendor, 'vouch');
  assert.equal(meta.Version, '1.2.3');
  const script = pluginScript('trust', "/opt/it's node", '/srv/vouch/bin/vouch.js');
  assert.match(script, /^#!\/bin\/sh\n/);
  assert.match(script, /exec '\/opt\/it'\\''s node' '\/srv\/vouch\/bin\/vouch\.js' docker-cli-plugin 'trust' "\$@"\n$/);
});
