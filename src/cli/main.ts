#!/usr/bin/env node
import { reportInternalError, runCli } from "./program.js";

// An exception from a callback or a forgotten promise is a bug too: one line, exit 70.
process.on("uncaughtException", (err) => {
  process.exit(reportInternalError(err));
});

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = reportInternalError(err);
  },
);
