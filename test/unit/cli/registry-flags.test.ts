// `vouch registry` bound flags: sizes with binary units, counts, seconds; anything else is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVouchError } from '../../../src/core/index.js';
import { registryLimitFlags } from '../../../src/cli/commands/registry.js';

test('registry flags: sizes take KiB/MiB/GiB/TiB, counts and seconds are whole numbers, unset flags keep the defaults', () => {
  assert.deepEqual(registryLimitFlags({ addr: 'x' }), {});
  assert.deepEqual(registryLimitFlags({
    addr: 'x', diskBudget: '50GiB', maxUploads: '64', maxUploadsPerRepo: '8', maxUploadBytes: '512MiB', maxUploadBytesPerRepo: '1048576', uploadIdle: '60',
  }), {
    diskBudgetBytes: 50 * 1024 ** 3, maxUploads: 64, maxUploadsPerRepository: 8, maxUploadBytes: 512 * 1024 ** 2, maxUploadBytesPerRepository: 1048576, uploadIdleMs: 60_000,
  });
  for (const [flag, opts] of [['--disk-budget', { diskBudget: '10GB' }], ['--max-uploads', { maxUploads: '0' }], ['--max-uploads-per-repo', { maxUploadsPerRepo: '2MiB' }], ['--upload-idle', { uploadIdle: '-5' }]] as const) {
    assert.throws(() => registryLimitFlags({ addr: 'x', ...opts }), (err: unknown) => isVouchError(err, 'INVALID_ARGUMENT') && (err as Error).message.startsWith(flag), flag);
  }
});
