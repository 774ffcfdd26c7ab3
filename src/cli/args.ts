/**
 * The `hyparview` client CLI's command line: a command, its arguments, and the flags every command
 * shares. Pure (argv + env in, a command or a usage error out), so every path is unit-tested.
 */
import { parseArgs } from "node:util";
import { ValueError, parseDuration, parseHostPort } from "../daemon/values.js";

export const DEFAULT_API = "127.0.0.1:4501";
export const DEFAULT_TIMEOUT_MS = 5000;

export type CliCommand =
  | { readonly name: "members"; readonly passive: boolean }
  | { readonly name: "watch"; readonly passive: boolean }
  | { readonly name: "join"; readonly contacts: readonly string[] }
  | { readonly name: "leave" }
  | { readonly name: "health" };

export interface CliOptions {
  /** Client API of the node, "host:port" (--api, HYPARVIEW_API). */
  readonly api: string;
  /** Machine output: one JSON object (or, for watch, one per line). */
  readonly json: boolean;
  /** Deadline of a unary call, ms (--timeout). Watch has none. */
  readonly timeoutMs: number;
}

export type CliArgs =
  | { readonly kind: "run"; readonly command: CliCommand; readonly options: CliOptions }
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  /** One line for stderr; the CLI exits 2. */
  | { readonly kind: "usage"; readonly message: string };

export const USAGE = `Usage: hyparview [--api host:port] [--json] [--timeout duration] <command> [args]

Asks a hyparviewd node (its client API) about its membership.

Commands:
  members [--passive]     this node, its active view and, with --passive, its passive view
  watch [--passive]       the membership snapshot, then one line per change (peer up / down)
  join <host:port>...     join (or rejoin) the overlay through these contacts
  leave                   leave the overlay gracefully (the node then stops serving it)
  health                  grpc.health.v1 status of the node: exit 0 only when SERVING

Flags:
  --api host:port         client API of the node (env HYPARVIEW_API; default ${DEFAULT_API})
  --json                  machine output; watch prints one JSON object per line
  --timeout duration      deadline of each call except watch (default 5s)
  -h, --help              print this help
  --version               print the version

Exit codes: 0 ok, 1 the node could not be reached or the call failed, 2 usage error.
`;

export function parseCliArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        api: { type: "string" },
        json: { type: "boolean" },
        passive: { type: "boolean" },
        timeout: { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    return usage(describeParseError(e));
  }
  const v = parsed.values;
  if (v.help === true) return { kind: "help" };
  if (v.version === true) return { kind: "version" };

  let api = DEFAULT_API;
  let apiSource = "--api";
  if (v.api !== undefined) api = v.api;
  else if (env["HYPARVIEW_API"] !== undefined && env["HYPARVIEW_API"].trim() !== "") {
    api = env["HYPARVIEW_API"];
    apiSource = "--api (from HYPARVIEW_API)";
  }
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  try {
    api = parseHostPort(api, 1);
  } catch (e) {
    if (e instanceof ValueError) return usage(`invalid ${apiSource}: ${e.message}`);
    throw e;
  }
  try {
    if (v.timeout !== undefined) timeoutMs = parseDuration(v.timeout);
  } catch (e) {
    if (e instanceof ValueError) return usage(`invalid --timeout: ${e.message}`);
    throw e;
  }
  const options: CliOptions = { api, json: v.json === true, timeoutMs };

  const [name, ...rest] = parsed.positionals;
  const passive = v.passive === true;
  if (passive && name !== "members" && name !== "watch") return usage("--passive applies to members and watch only");
  const noArgs = (cmd: CliCommand): CliArgs =>
    rest.length > 0 ? usage(`${name} takes no arguments, got ${JSON.stringify(rest[0])}`) : { kind: "run", command: cmd, options };
  switch (name) {
    case undefined:
      return usage("missing command (members, watch, join, leave, health; see --help)");
    case "members":
      return noArgs({ name, passive });
    case "watch":
      return noArgs({ name, passive });
    case "leave":
      return noArgs({ name });
    case "health":
      return noArgs({ name });
    case "join": {
      if (rest.length === 0) return usage("join needs at least one contact host:port");
      const contacts: string[] = [];
      for (const c of rest) {
        try {
          contacts.push(parseHostPort(c, 1));
        } catch (e) {
          if (e instanceof ValueError) return usage(`invalid contact for join: ${e.message}`);
          throw e;
        }
      }
      return { kind: "run", command: { name, contacts }, options };
    }
    default:
      return usage(`unknown command ${JSON.stringify(name)} (members, watch, join, leave, health; see --help)`);
  }
}

function usage(message: string): CliArgs {
  return { kind: "usage", message };
}

function describeParseError(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const msg = err.message ?? String(e);
  if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `unknown flag ${/'([^']+)'/.exec(msg)?.[1] ?? "?"} (see --help)`;
  if (err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const name = /(--[\w-]+)/.exec(msg)?.[1] ?? "?";
    return msg.includes("does not take an argument") ? `flag ${name} takes no value` : `flag ${name} needs a value`;
  }
  return msg.split("\n")[0] ?? msg;
}
