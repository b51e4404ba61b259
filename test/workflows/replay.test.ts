import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import proto from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { workflowBundle } from '../helpers/temporal.ts';

Runtime.install({ logger: new DefaultLogger('ERROR') });

const HISTORIES = fileURLToPath(new URL('../histories/', import.meta.url));
const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));
// The files hold the protobuf JSON of fetched histories (enum names, base64 bytes, string longs).
const load = (file: string) => proto.temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8')));

/** Recorded histories must replay on today's workflow code: a change that breaks them needs patching. */
describe('replay of recorded workflow histories', () => {
  test('the recorded histories are there', () => {
    assert.ok(files.length >= 16, `histories: ${files.join(', ')}`);
  });

  for (const file of files) {
    test(`replays ${file} without nondeterminism`, async () => {
      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, load(file), file);
    });
  }

  test('covers every workflow type, and both sides of each patched change', () => {
    // purchaseWorkflow: the order workflow's type before it took its domain's name (workflows/index.ts).
    for (const type of ['orderWorkflow', 'purchaseWorkflow', 'linkWorkflow', 'refundCaseWorkflow', 'retentionWorkflow']) {
      assert.ok(files.some((f) => JSON.stringify(load(f).events?.[0]).includes(type)), `a history of ${type}`);
    }
    const patches = (file: string) =>
      (load(file).events ?? [])
        .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')
        .flatMap((e) => e.markerRecordedEventAttributes!.details!['patch-data']!.payloads!.map((p) => (JSON.parse(Buffer.from(p.data!).toString('utf8')) as { id: string }).id));
    // Recorded before the change: it replays only because patched() answers false for it.
    assert.deepEqual(patches('refund-case-info-then-approve.json'), []);
    assert.deepEqual(patches('refund-case-info-sla-paused.json'), ['sla-paused-while-info-requested']);
    assert.deepEqual(patches('link-expired-by-time.json'), []);
    assert.deepEqual(patches('link-expired-end-recorded-locally.json'), ['link-end-recorded-locally']);
    assert.deepEqual(patches('link-expired-end-recorded-by-activity.json'), ['link-end-recorded-by-activity']);
    assert.deepEqual(patches('link-expired-closed-by-its-timer.json'), ['link-time-end-closes-at-once']);
    // Windows counted in PostgreSQL; every history above is of one counted by its workflow.
    assert.deepEqual(patches('link-used-up-counted-in-database.json'), ['link-downloads-counted-in-database']);
    assert.deepEqual(patches('link-revoked-counted-in-database.json'), ['link-downloads-counted-in-database']);
    assert.deepEqual(patches('link-expired-counted-in-database.json'), ['link-downloads-counted-in-database', 'link-time-end-closes-at-once']);
  });

  test('detects an unversioned change (negative control)', async () => {
    const changed = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../helpers/nondeterministic-workflows.ts', import.meta.url)),
      logger: { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, log: () => undefined },
    });
    await assert.rejects(
      Worker.runReplayHistory({ workflowBundle: changed }, load('purchase-card-ok.json'), 'purchase-card-ok'),
      // Only a determinism violation proves the check works: a control that merely threw, or a
      // history that failed to load, is some other ReplayError and must not pass.
      (err: unknown) => err instanceof DeterminismViolationError && /nondetermin/i.test(err.message),
    );
  });
});
