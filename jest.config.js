// Plain ts-jest. The pure modules need nothing else; the API client and model tests also load
// @jupyterlab/services and @jupyterlab/coreutils, whose CommonJS builds run as they are, and talk to
// a real jupyter server that src/__tests__/support/jupyterServer.ts starts from the project's .venv.
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/src'],
  testRegex: 'src/.*/.*\\.spec\\.ts$',
  transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] }
};
