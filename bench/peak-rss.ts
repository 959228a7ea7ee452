/**
 * The peak resident set of a process over a window: the kernel's high-water mark (`VmHWM`), reset
 * at the window's start by writing 5 to `/proc/<pid>/clear_refs` (Linux ≥ 4.0, the process's
 * owner). A reading of VmRSS now and then would miss a peak that lasts less than its interval.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** Resets the high-water mark to the current RSS; false when the kernel does not allow it. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** The peak RSS in KiB since the last reset (or since start); NaN once the process is gone. */
export function peakRssKiB(pid: number): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : NaN;
  } catch {
    return NaN;
  }
}
