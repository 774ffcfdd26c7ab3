/**
 * hyparviewd's life cycle: read the configuration, start the node, and on SIGTERM or SIGINT leave
 * the overlay gracefully (neighbours are told at once, so they replace this node without waiting
 * for failure detection), then exit. Process globals come in through `DaemonIo`, so tests can drive
 * the whole sequence in memory.
 */
import type { Logger } from "pino";
import { ConfigError } from "../protocol/index.js";
import { helpText } from "./flags.js";
import { parseDaemonArgs, type DaemonOptions, type Env } from "./options.js";

/** The part of a running node the daemon uses. */
export interface DaemonNode {
  readonly id: string;
  readonly address: string;
  readonly apiAddress: string | null;
  leave(): Promise<void>;
  close(): Promise<void>;
}

export interface DaemonIo {
  readonly argv: readonly string[];
  readonly env: Env;
  readonly hostname: string;
  readonly version: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Builds the logger the node and the daemon share. */
  readonly logger: (options: DaemonOptions) => Logger;
  readonly start: (options: DaemonOptions, logger: Logger) => Promise<DaemonNode>;
  /** Registers the shutdown handler for SIGTERM and SIGINT. */
  readonly onSignal: (handler: (signal: string) => void) => void;
  readonly exit: (code: number) => void;
  /** Overrides of LEAVE_BOUND_MS and CLOSE_BOUND_MS (tests). */
  readonly bounds?: { readonly leaveMs: number; readonly closeMs: number };
}

/** Exit codes: 0 ok, 1 failure at run time, 2 invalid configuration (nothing was started). */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_CONFIG = 2;

/** A graceful leave waits at most this long for the neighbours to be told; then the node closes. */
export const LEAVE_BOUND_MS = 3000;
/** Closing (flushing links, stopping servers) waits at most this long; then the process exits. */
export const CLOSE_BOUND_MS = 2000;

/** Runs the daemon until it is told to stop; resolves once `io.exit` has been called. */
export async function runDaemon(io: DaemonIo): Promise<void> {
  const args = parseDaemonArgs(io.argv, io.env, io.hostname);
  switch (args.kind) {
    case "help":
      io.stdout(helpText());
      return io.exit(EXIT_OK);
    case "version":
      io.stdout(`${io.version}\n`);
      return io.exit(EXIT_OK);
    case "error":
      io.stderr(`hyparviewd: ${args.message}\n`);
      return io.exit(EXIT_CONFIG);
  }
  const options = args.options;
  const log = io.logger(options);

  let node: DaemonNode;
  try {
    node = await io.start(options, log);
  } catch (e) {
    // The node validates its options too; a ConfigError there is still a configuration error.
    const code = e instanceof ConfigError || isOptionError(e) ? EXIT_CONFIG : EXIT_FAILURE;
    io.stderr(`hyparviewd: cannot start: ${oneLine(e)}\n`);
    return io.exit(code);
  }
  log.info(
    { version: io.version, id: node.id, address: node.address, apiAddress: node.apiAddress, contacts: options.contacts },
    "hyparviewd ready",
  );

  await new Promise<void>((done) => {
    let stopping = false;
    io.onSignal((signal) => {
      if (stopping) {
        // A second signal: the operator does not want to wait for the graceful part.
        log.warn({ signal }, "second signal: exiting at once");
        io.exit(EXIT_FAILURE);
        return done();
      }
      stopping = true;
      log.info({ signal }, "shutting down: graceful leave");
      void shutdown(node, log, io.bounds ?? { leaveMs: LEAVE_BOUND_MS, closeMs: CLOSE_BOUND_MS }).then((code) => {
        io.exit(code);
        done();
      });
    });
  });
}

/** Graceful leave, then close; each step bounded so the process always exits. */
async function shutdown(node: DaemonNode, log: Logger, bounds: { leaveMs: number; closeMs: number }): Promise<number> {
  let code = EXIT_OK;
  const left = await bounded(node.leave(), bounds.leaveMs);
  if (left !== "done") {
    log.error({ err: left === "timeout" ? undefined : left, boundMs: bounds.leaveMs }, `graceful leave ${left === "timeout" ? "timed out" : "failed"}`);
    code = EXIT_FAILURE;
  }
  const closed = await bounded(node.close(), bounds.closeMs);
  if (closed !== "done") {
    log.error({ err: closed === "timeout" ? undefined : closed, boundMs: bounds.closeMs }, `close ${closed === "timeout" ? "timed out" : "failed"}`);
    code = EXIT_FAILURE;
  }
  log.info({ code }, "exiting");
  return code;
}

async function bounded(p: Promise<unknown>, ms: number): Promise<"done" | "timeout" | unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  try {
    return await Promise.race([p.then(() => "done" as const), timeout]);
  } catch (e) {
    return e;
  } finally {
    clearTimeout(timer);
  }
}

/** Errors from `startNode` about its options (it names the option in the message). */
function isOptionError(e: unknown): boolean {
  return e instanceof Error && (e.name === "OptionError" || e.name === "NodeOptionsError");
}

function oneLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split("\n")[0] ?? text;
}
