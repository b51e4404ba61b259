import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ensureSystemTool, type SystemTool } from '../../infra/system-packages.ts';

// What `npm test` does about a program it needs from Debian's packages. The install itself is
// shown by the fresh-machine run (Chromium removed, then a clean clone's
// `npm install && npm test` passes); these cover the answers that need no install.
const tool = (over: Partial<SystemTool> = {}): SystemTool => ({ name: 'Tool', path: process.execPath, debianPackage: 'tool', neededBy: 'a test runs it', override: 'TEST_TOOL_PATH', ...over });

describe('programs the tests need from Debian packages', () => {
  test('a program already there is used as it is, without apt-get', () => {
    const said: string[] = [];
    assert.equal(ensureSystemTool(tool(), (l) => said.push(l)), process.execPath);
    assert.deepEqual(said, []);
  });

  test('the override variable points at the user’s own copy, and a wrong one is named', () => {
    process.env.TEST_TOOL_PATH = process.execPath;
    try {
      assert.equal(ensureSystemTool(tool({ path: '/nonexistent/tool' })), process.execPath);
      process.env.TEST_TOOL_PATH = '/nonexistent/own-tool';
      assert.throws(() => ensureSystemTool(tool()), /TEST_TOOL_PATH=\/nonexistent\/own-tool: no such file/);
    } finally {
      delete process.env.TEST_TOOL_PATH;
    }
  });

  test('a missing program whose package does not exist fails with what apt-get said, or with the command to run', () => {
    const said: string[] = [];
    // As root (CI), apt-get is tried and its refusal reported; elsewhere the command is named.
    assert.throws(
      () => ensureSystemTool(tool({ path: '/nonexistent/tool', debianPackage: 'csp-no-such-package-xyz' }), (l) => said.push(l)),
      (err: Error) => /apt-get [a-z -]+ failed|Install Debian's package as root: apt-get update && apt-get install -y csp-no-such-package-xyz/.test(err.message),
    );
  });
});
