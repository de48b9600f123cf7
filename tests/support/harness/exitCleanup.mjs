// Servers a failed or forgotten test did not stop would keep their port and
// processes after the worker is gone. Vitest's fork pool ends workers with
// SIGTERM, which skips 'exit' handlers, so both are hooked.
const live = new Set();
let hooksInstalled = false;

function runAll() {
  for (const cleanupNow of live) {
    try {
      cleanupNow();
    } catch {
      // One failed cleanup must not strand the others.
    }
  }
  live.clear();
}

function onSigterm() {
  // A program with its own SIGTERM handler (the benchmark) stops its servers
  // itself; 'exit' still catches what it forgets.
  if (process.listenerCount('SIGTERM') > 1) return;
  runAll();
  // Our listener replaced the default "terminate": give it back.
  process.removeListener('SIGTERM', onSigterm);
  process.kill(process.pid, 'SIGTERM');
}

/**
 * Runs `cleanupNow` (synchronous: the process is going away) when the process
 * exits or gets SIGTERM, unless the returned function is called first.
 */
export function cleanupOnExit(cleanupNow) {
  live.add(cleanupNow);
  if (!hooksInstalled) {
    hooksInstalled = true;
    process.once('exit', runAll);
    // First in line, so it sees whether anyone else listens.
    process.prependListener('SIGTERM', onSigterm);
  }
  return () => {
    live.delete(cleanupNow);
  };
}
