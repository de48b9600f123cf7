/** Asks the kernel for a free loopback port; another process may still take it before we bind. */
export function freePort(): Promise<number>;

/** Whether something accepts a TCP connection on 127.0.0.1:port; a silent port counts as closed after timeoutMs. */
export function portAccepts(port: number, timeoutMs?: number): Promise<boolean>;
