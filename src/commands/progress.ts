import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

/**
 * A progress bar on a terminal; on a pipe or in CI, a plain line every tenth
 * of the way (a bar's carriage returns would fill a log file).
 */
export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY && !process.env.CI) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {value}/{total} ({percentage}\u00a0%)`, stream, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total) {
        if (!started) {
          bar.start(total, done);
          started = true;
        } else {
          bar.setTotal(total);
          bar.update(done);
        }
      },
      stop: () => bar.stop(),
    };
  }
  let lastTenth = -1;
  return {
    update(done, total) {
      const tenth = total ? Math.floor((done / total) * 10) : 10;
      if (tenth !== lastTenth) {
        lastTenth = tenth;
        stream.write(`${label}\u00a0: ${done}/${total}\n`);
      }
    },
    stop() {},
  };
}
