#!/usr/bin/env node
/** The `hyparviewd` daemon: one HyParView node per process (see src/daemon/). */
import os from "node:os";
import { format } from "node:util";
import * as grpc from "@grpc/grpc-js";
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
  logger: (options) => {
    const log = createLogger({ level: options.logLevel, base: { node: options.id } });
    // grpc-js prints its own diagnostics on stderr; stderr is kept for the one-line errors, so
    // they go to the JSON log instead.
    grpc.setLogger({ error: (...args: unknown[]) => log.warn({ component: "grpc-js" }, format(...args)) });
    return log;
  },
  start: (options, logger) => startNode({ ...options, logger }),
  onSignal: (handler) => {
    process.on("SIGTERM", () => handler("SIGTERM"));
    process.on("SIGINT", () => handler("SIGINT"));
  },
  exit: (code) => process.exit(code),
});
