/**
 * The `hyparview` client CLI: one call to a node's client API per command, printed for people or
 * (--json) for machines. Process globals come in through `CliIo`; the exit code is returned.
 */
import * as grpc from "@grpc/grpc-js";
import { MembershipService, type WatchMembershipResponse } from "../../gen/hyparview/v1/membership_pb.js";
import { makeClient, unaryCall, type ServiceClient } from "../grpc/index.js";
import { USAGE, parseCliArgs, type CliCommand, type CliOptions } from "./args.js";
import { membersTable, membersView, watchEvent, watchJson, watchLine } from "./format.js";
import { checkHealth } from "./health.js";

export interface CliIo {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly version: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Registers what to do on Ctrl-C / SIGTERM (watch stops cleanly and exits 0). */
  readonly onInterrupt: (handler: () => void) => void;
  readonly now: () => Date;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export async function runCli(io: CliIo): Promise<number> {
  const args = parseCliArgs(io.argv, io.env);
  switch (args.kind) {
    case "help":
      io.stdout(USAGE);
      return EXIT_OK;
    case "version":
      io.stdout(`${io.version}\n`);
      return EXIT_OK;
    case "usage":
      io.stderr(`hyparview: ${args.message}\n`);
      return EXIT_USAGE;
  }
  const { command, options } = args;
  try {
    return await execute(command, options, io);
  } catch (e) {
    io.stderr(`hyparview: ${command.name}: ${describeError(e)} (api ${options.api})\n`);
    return EXIT_FAILED;
  }
}

async function execute(command: CliCommand, options: CliOptions, io: CliIo): Promise<number> {
  if (command.name === "health") {
    const status = await checkHealth(options.api, "", options.timeoutMs);
    io.stdout(options.json ? `${JSON.stringify({ status })}\n` : `${status}\n`);
    return status === "SERVING" ? EXIT_OK : EXIT_FAILED;
  }
  const client = makeClient(MembershipService, options.api);
  const deadline = () => ({ deadline: Date.now() + options.timeoutMs });
  try {
    switch (command.name) {
      case "members": {
        const res = await unaryCall(client, "getMembership", { includePassive: command.passive }, deadline());
        const view = membersView(res.revision, res.snapshot);
        io.stdout(options.json ? `${JSON.stringify(view)}\n` : membersTable(view));
        return EXIT_OK;
      }
      case "join":
        await unaryCall(client, "join", { contacts: [...command.contacts] }, deadline());
        io.stdout(options.json ? `${JSON.stringify({ ok: true })}\n` : `join started through ${command.contacts.join(", ")}\n`);
        return EXIT_OK;
      case "leave":
        await unaryCall(client, "leave", {}, deadline());
        io.stdout(options.json ? `${JSON.stringify({ ok: true })}\n` : "left the overlay\n");
        return EXIT_OK;
      case "watch":
        return await watch(client, command.passive, options, io);
    }
  } finally {
    client.close();
  }
}

/**
 * Prints every message of a WatchMembership stream until interrupted (exit 0) or the stream ends
 * (exit 1: the node stopped or left). A watcher that fell too far behind (RESOURCE_EXHAUSTED)
 * watches again and prints the fresh snapshot, as the contract says to.
 */
function watch(client: ServiceClient<typeof MembershipService>, passive: boolean, options: CliOptions, io: CliIo): Promise<number> {
  return new Promise<number>((resolve) => {
    let call: grpc.ClientReadableStream<WatchMembershipResponse> | undefined;
    let interrupted = false;
    io.onInterrupt(() => {
      interrupted = true;
      call?.cancel();
      resolve(EXIT_OK);
    });
    const subscribe = () => {
      let expected: number | undefined;
      const c = client.watchMembership({ includePassive: passive });
      call = c;
      c.on("data", (m: WatchMembershipResponse) => {
        const e = watchEvent(m);
        if (e === undefined) return;
        if (expected !== undefined && e.revision !== expected) {
          io.stderr(`hyparview: watch: revision ${e.revision} after ${expected - 1}: the stream skipped changes\n`);
        }
        expected = e.revision + 1;
        const at = io.now();
        io.stdout(options.json ? watchJson(e, at) : watchLine(e, at));
      });
      c.on("error", (err: grpc.ServiceError) => {
        if (interrupted) return;
        if (err.code === grpc.status.RESOURCE_EXHAUSTED) {
          io.stderr("hyparview: watch: fell behind the node; watching again from a fresh snapshot\n");
          subscribe();
          return;
        }
        io.stderr(`hyparview: watch: ${describeError(err)} (api ${options.api})\n`);
        resolve(EXIT_FAILED);
      });
      c.on("status", (s: grpc.StatusObject) => {
        if (interrupted || s.code !== grpc.status.OK) return; // errors are reported by "error"
        io.stderr(`hyparview: watch: the node ended the stream (api ${options.api})\n`);
        resolve(EXIT_FAILED);
      });
    };
    subscribe();
  });
}

function describeError(e: unknown): string {
  const err = e as Partial<grpc.ServiceError>;
  if (typeof err?.code === "number") {
    const name = grpc.status[err.code] ?? String(err.code);
    // grpc-js appends an empty "Resolution note:" to connection errors; drop it.
    const details = (err.details ?? "").split("\n")[0]!.replace(/\s*Resolution note:\s*$/, "");
    return `${name}: ${details}`;
  }
  const text = e instanceof Error ? e.message : String(e);
  return text.split("\n")[0] ?? text;
}
