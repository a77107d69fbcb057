// The machine runs Node 20; the SDK's notice that its 2027 versions need Node 22 is known (see the notes).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/.serverless/', '/.esbuild/'],
  transform: { '^.+\\.ts$': '<rootDir>/jest.transform.js' },
  testTimeout: 60000,
  // Most test files wait on emulated AWS time (an e2e file uses ~10% of a core), so four workers finish the
  // suite in about a third of the time on a 2-core machine. REWIND_TEST_WORKERS overrides.
  maxWorkers: Number(process.env.REWIND_TEST_WORKERS) || 4,
};
