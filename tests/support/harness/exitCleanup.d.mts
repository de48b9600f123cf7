/**
 * Runs `cleanupNow` (synchronous: the process is going away) when the process
 * exits or gets SIGTERM, unless the returned function is called first.
 */
export function cleanupOnExit(cleanupNow: () => void): () => void;
