#!/usr/bin/env node
/** The `hyparview` client CLI (see src/cli/). */
import { runCli } from "../cli/main.js";
import { packageVersion } from "../daemon/version.js";

const code = await runCli({
  argv: process.argv.slice(2),
  env: process.env,
  version: packageVersion(import.meta.url),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  onInterrupt: (handler) => {
    process.once("SIGINT", handler);
    process.once("SIGTERM", handler);
  },
  now: () => new Date(),
});
process.exitCode = code;
// Streams to a pipe may still be draining; exit once they have, and never hang on a stray handle.
process.stdout.write("", () => process.exit(code));
