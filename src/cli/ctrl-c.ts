/**
 * Ctrl-C as every command that changes hosts takes it: the first lets what is running finish
 * (and be recorded), then stops; a second quits at once (exit 130). `say` tells the user which.
 */
export function firstCtrlCStops(say: (line: string) => void, running: string): { signal: AbortSignal; done(): void } {
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130);
    say(`interrupted: finishing the ${running} already running, then stopping (Ctrl-C again to quit at once)`);
    abort.abort();
  };
  process.on("SIGINT", onSigint);
  return { signal: abort.signal, done: () => process.off("SIGINT", onSigint) };
}
