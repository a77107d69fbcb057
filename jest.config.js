/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/.serverless/', '/.esbuild/'],
  transform: { '^.+\\.ts$': '<rootDir>/jest.transform.js' },
  testTimeout: 60000,
};
