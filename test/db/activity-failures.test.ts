import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities/index.ts';
import { ErrorType } from '../../common/errors.ts';
import { isDataRejection } from '../../infra/database-errors.ts';
import { LOCAL_PROVIDERS } from '../../common/config.ts';
import { createProviders } from '../../providers/index.ts';
import { activityFailureInterceptor } from '../../worker/activity-failures.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

/** The worker's activity interceptor, on real activities against a real PostgreSQL. */
describe('activities that the database refuses, or that keep failing', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase('activity_failures');
  });
  after(async () => database?.drop());

  const envAt = (attempt: number, activityId = '7') =>
    new MockActivityEnvironment(
      { attempt, activityId, activityType: 'recordCaseEvent', workflowType: 'refundCaseWorkflow', workflowExecution: { workflowId: 'refund-case-x', runId: 'r' } },
      { interceptors: [activityFailureInterceptor(database.db)] },
    );

  test('tells a data exception (NUL in text) from a lost connection', async () => {
    const refused = await database.db.$executeRaw`SELECT ${'a\u0000b'}::text`.then(
      () => assert.fail('PostgreSQL stores no NUL'),
      (e: unknown) => e,
    );
    assert.equal(isDataRejection(refused), true);
    assert.equal(isDataRejection(new Error('Connection terminated unexpectedly')), false);
  });

  test('turns data the database refuses into a non-retryable DataRejected failure, on the first attempt', async () => {
    const acts = createActivities({ db: database.db, ...createProviders({ providers: LOCAL_PROVIDERS }, database.db) });
    const err = await envAt(1)
      .run(acts.recordCaseEvent, { caseId: '00000000-0000-4000-8000-000000000001', eventKey: 'k', eventType: 'note', note: 'a\u0000b' })
      .then(
        () => assert.fail('the write must fail'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof ApplicationFailure, String(err));
    assert.equal(err.type, ErrorType.DataRejected);
    assert.equal(err.nonRetryable, true);
    assert.equal(await database.db.activityRetry.count(), 0, 'a business failure is not listed as retrying');
  });

  test('lists an activity still failing transiently from its third attempt, and clears it once it succeeds', async () => {
    const flaky = async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
    };
    await assert.rejects(envAt(2).run(flaky), /ECONNREFUSED/);
    assert.equal(await database.db.activityRetry.count(), 0, 'a second attempt is not yet "keeps failing"');
    await assert.rejects(envAt(3).run(flaky), /ECONNREFUSED/);
    await assert.rejects(envAt(4).run(flaky), /ECONNREFUSED/);
    const row = await database.db.activityRetry.findUniqueOrThrow({ where: { workflowId_activityId: { workflowId: 'refund-case-x', activityId: '7' } } });
    assert.equal(row.attempt, 4);
    assert.equal(row.activityType, 'recordCaseEvent');
    assert.match(row.lastError, /ECONNREFUSED/);
    assert.equal(await envAt(5).run(async () => 'done'), 'done');
    assert.equal(await database.db.activityRetry.count(), 0);
  });
});
