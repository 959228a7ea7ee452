import { missingBinaries } from './binaries';

/**
 * Before any test runs: if a selected test file needs a binary this machine lacks, stop the run
 * now with one message, rather than let every test of it time out.
 */
export default function checkBinaries(): void {
  const selected = (globalThis as { __selectedTestFiles?: string[] }).__selectedTestFiles ?? [];
  const missing = missingBinaries(selected);
  if (missing.length === 0) return;
  process.stderr.write(`\n${missing.join('\n')}\n\n`);
  process.exit(1);
}
