import { afterAll } from "vitest";
import { removeScratchDirs } from "./scratch-dir.js";

// A setup file: runs in every test file, so each file removes the scratch dirs it made.
afterAll(removeScratchDirs);
