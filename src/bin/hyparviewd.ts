#!/usr/bin/env node
/** The `hyparviewd` daemon: one HyParView node per process (see src/daemon/). */
import os from "node:os";
import { runDaemon } from "../daemon/main.js";
import { packageVersion } from "../daemon/version.js";
import { startNode } from "../node.js";
import { createLogger } from "../observability/logger.js";

await runDaemon({
  argv: process.argv.slice(2),
  env: process.env,
  hostname: os.hostname(),
  version: packageVersion(import.meta.url),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  // pino JSON lines on stdout, written synchronously so nothing is lost when the process exits.
  logger: (options) => createLogger({ level: options.logLevel, base: { node: options.id } }),
  start: (options, logger) => startNode({ ...options, logger }),
  onSignal: (handler) => {
    process.on("SIGTERM", () => handler("SIGTERM"));
    process.on("SIGINT", () => handler("SIGINT"));
  },
  exit: (code) => process.exit(code),
});
