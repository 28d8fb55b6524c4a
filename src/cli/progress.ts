// Transfer feedback: a progress bar on a terminal, nothing when output is piped, JSON lines
// with --json (for scripts).
import type { ImageEvent } from '../client/image.js';
import type { Io } from './output.js';

export interface Progress {
  onEvent(e: ImageEvent): void;
  stop(): void;
}

export async function createProgress(io: Io, opts: { json: boolean; verb: string }): Promise<Progress> {
  if (opts.json) {
    return { onEvent: (e) => io.out(JSON.stringify(e) + '\n'), stop: () => {} };
  }
  if (!io.stderrIsTTY) {
    return { onEvent: (e) => { if (e.event === 'warning') io.err(`WARN: ${e.message}\n`); }, stop: () => {} };
  }
  // Loaded only for a terminal: piped and --json runs do not pay for it at start-up.
  const { SingleBar, Presets } = await import('cli-progress');
  const bar = new SingleBar({ format: `${opts.verb} {bar} {value}/{total} blobs | {detail}`, stream: process.stderr, hideCursor: true, clearOnComplete: true }, Presets.shades_classic);
  let started = false;
  let total = 0;
  return {
    onEvent: (e) => {
      if (e.event === 'warning') { io.err(`WARN: ${e.message}\n`); return; }
      if (e.event !== 'blob') return;
      total++;
      if (!started) { bar.start(total, 0, { detail: '' }); started = true; }
      bar.setTotal(total);
      bar.increment(1, { detail: `${e.digest.slice(7, 19)} ${e.status}` });
    },
    stop: () => { if (started) bar.stop(); },
  };
}
