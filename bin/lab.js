#!/usr/bin/env node
// The CLI: the bundle when the build made one (npm run build), else the plain tsc output
// (an install from a git URL without dev dependencies builds only that).
import { existsSync } from "node:fs";
import { URL } from "node:url";

const bundled = new URL("../bundle/main.js", import.meta.url);
await import(existsSync(bundled) ? bundled.href : new URL("../dist/cli/main.js", import.meta.url).href);
