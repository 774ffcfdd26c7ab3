/**
 * Progress lines on the standard error, written straight to its descriptor from whichever thread
 * makes them. A worker thread's `process.stderr` goes through the main thread, which passes it on
 * only when its event loop turns; the bench's main thread runs its simulation synchronously for
 * minutes at a time, so the twin's lines would come out late, all at once.
 */
import { writeSync } from "node:fs";

/** Slept on (never woken) while a full pipe drains. */
const pause = new Int32Array(new SharedArrayBuffer(4));

/** Writes `line` and a newline to descriptor 2, now. Once Node has opened the standard error as a
 * pipe the descriptor is non-blocking: a full pipe answers EAGAIN, and the line waits for the
 * reader, as the main thread's `process.stderr` does. Any other error (EPIPE: nobody reads any
 * more) drops the line: progress lines must not end the run. */
export function logLine(line: string): void {
  let rest = Buffer.from(`${line}\n`);
  while (rest.length > 0) {
    try {
      rest = rest.subarray(writeSync(2, rest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EAGAIN") return;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}
