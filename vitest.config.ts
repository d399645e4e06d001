import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/stand-ins/global-setup.ts'],
    testTimeout: 30_000,
  },
});
