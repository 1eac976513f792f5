import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Some tests drive the real CLI as a child process on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Three files at a time on two cores: about half of the slow files' time is waiting (on a
    // child process, a test server, Redis, tmux), which a third file fills. Vitest's default here is one.
    maxWorkers: 3,
    isolate: false,
  },
});
