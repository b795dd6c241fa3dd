import { performance } from "node:perf_hooks";

/**
 * LAB_TRACE=1: one line on stderr per connection and remote command, with the milliseconds
 * since the process started, to see where a run's time goes (README, "Speed").
 */
const enabled = !!process.env.LAB_TRACE;

export function trace(host: string, message: string): void {
  if (!enabled) return;
  const firstLine = message.split("\n")[0]!.slice(0, 70);
  process.stderr.write(`[trace ${performance.now().toFixed(0).padStart(6)} ms] ${host}: ${firstLine}\n`);
}
