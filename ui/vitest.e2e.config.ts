import { defineConfig } from 'vitest/config';

// End-to-end tests: the real ocrbox binary, real tesseract, Debian's chromium.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.e2e.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
