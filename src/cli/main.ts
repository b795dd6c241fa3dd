#!/usr/bin/env node
import { packageVersion } from "../package-root.js";

const argv = process.argv.slice(2);
// The one answer that needs nothing else loaded: what commander would print for --version.
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  process.stdout.write(packageVersion() + "\n");
  process.exit(0);
}
const { reportInternalError, runCli } = await import("./program.js");

// An exception from a callback or a forgotten promise is a bug too: one line, exit 70.
process.on("uncaughtException", (err) => {
  process.exit(reportInternalError(err));
});

runCli(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = reportInternalError(err);
  },
);
