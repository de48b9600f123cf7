/**
 * Crash points for the fault-injection tests: with CDAP_FAILPOINT=name (and
 * optionally CDAP_FAILPOINT_AFTER=n, the n-th time it is reached), the process
 * kills itself with SIGKILL right there — the harshest crash, at an exact
 * step. Without the variable this is a no-op.
 */
const target = process.env.CDAP_FAILPOINT;
let remaining = Number(process.env.CDAP_FAILPOINT_AFTER ?? 1);

export function failpoint(name: string): void {
  if (target !== name) return;
  if (--remaining > 0) return;
  process.kill(process.pid, 'SIGKILL');
}
