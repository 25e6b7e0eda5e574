/**
 * Jest `setupFilesAfterEnv`: every test file runs with the secret scan installed (docs/development.md, "Secret scan",
 * "one hit fails the run"). The afterEach fails the test during which a registered secret was
 * printed, naming its label and the stream (what a beforeAll prints is blamed on the first test);
 * the afterAll catches what afterAll hooks printed, then restores the streams and the console.
 */
import { afterAll, afterEach } from '@jest/globals';
import { describeHits, installSecretScan, takeSecretHits, uninstallSecretScan } from './secret-scan.js';

installSecretScan();

function failOnHits(): void {
  const hits = takeSecretHits();
  if (hits.length > 0) throw new Error(describeHits(hits));
}

afterEach(failOnHits);
afterAll(() => {
  try {
    failOnHits();
  } finally {
    uninstallSecretScan();
  }
});
