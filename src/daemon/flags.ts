/**
 * The flags of hyparviewd, in one table: the parser, `--help` and the README are all read from it,
 * so they cannot disagree. Every flag also reads from the environment variable HYPARVIEW_<NAME>
 * (the flag's name in upper snake case); a flag given on the command line wins over it.
 */

/** How a flag's text is read. */
export type FlagKind =
  | "text" // a non-empty string
  | "listen" // host:port to bind, port 0-65535 (0 = any free port)
  | "endpoint" // host:port to reach, port 1-65535
  | "contacts" // repeatable host:port (comma-separated in the environment)
  | "meta" // repeatable key=value (comma-separated in the environment)
  | "count" // a whole number, at least `min`
  | "duration" // 500ms, 2s, 1m; a bare number is ms
  | "level"; // a pino log level

export interface FlagSpec {
  /** Long name, without the dashes. */
  readonly name: string;
  readonly kind: FlagKind;
  /** The default as shown to people ("" when the flag is simply absent by default). */
  readonly defaultText: string;
  /** One line for --help and the README. */
  readonly help: string;
  /** Smallest value, for counts. */
  readonly min?: number;
}

/** Pino's levels, quietest last. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const FLAGS: readonly FlagSpec[] = [
  { name: "id", kind: "text", defaultText: "the host name", help: "unique node name applications see (kept across restarts)" },
  { name: "listen", kind: "listen", defaultText: "0.0.0.0:4500", help: "overlay address to bind (port 0: any free port)" },
  {
    name: "advertise",
    kind: "endpoint",
    defaultText: "listen, with 0.0.0.0 replaced by the host name",
    help: "overlay address other nodes dial (differs from listen behind NAT or in containers)",
  },
  { name: "api-listen", kind: "listen", defaultText: "127.0.0.1:4501", help: "client API (gRPC) address to bind" },
  {
    name: "contact",
    kind: "contacts",
    defaultText: "none: start a new cluster",
    help: "host:port of a node to join through; repeatable; a DNS name means every address it has",
  },
  { name: "meta", kind: "meta", defaultText: "none", help: "key=value label passed to watchers; repeatable" },
  { name: "active-size", kind: "count", min: 1, defaultText: "5", help: "active view size (peers with a live link)" },
  { name: "passive-size", kind: "count", min: 1, defaultText: "30", help: "passive view size (peers kept in reserve)" },
  { name: "arwl", kind: "count", min: 1, defaultText: "6", help: "active random walk length (JOIN and SHUFFLE TTL)" },
  { name: "prwl", kind: "count", min: 0, defaultText: "3", help: "passive random walk length (at most ARWL)" },
  { name: "shuffle-interval", kind: "duration", defaultText: "5s", help: "period of the passive view shuffle" },
  { name: "shuffle-active", kind: "count", min: 0, defaultText: "3", help: "active peers sent in a shuffle (ka)" },
  { name: "shuffle-passive", kind: "count", min: 0, defaultText: "4", help: "passive peers sent in a shuffle (kp)" },
  { name: "heartbeat-interval", kind: "duration", defaultText: "500ms", help: "heartbeat period on active links" },
  {
    name: "failure-timeout",
    kind: "duration",
    defaultText: "2s",
    help: "an active peer silent this long is failed (must exceed the heartbeat interval)",
  },
  { name: "log-level", kind: "level", defaultText: "info", help: `log level: ${LOG_LEVELS.join(", ")}` },
];

/** HYPARVIEW_<NAME>: the environment variable of a flag. */
export function envName(flag: string): string {
  return `HYPARVIEW_${flag.toUpperCase().replace(/-/g, "_")}`;
}

/** How --help names each kind of value. */
const ARG_NAMES: Readonly<Record<FlagKind, string>> = {
  text: "name",
  listen: "host:port",
  endpoint: "host:port",
  contacts: "host:port",
  meta: "key=value",
  count: "n",
  duration: "duration",
  level: "level",
};

/** The text of `hyparviewd --help`. */
export function helpText(): string {
  const lines = [
    "Usage: hyparviewd [flags]",
    "",
    "Runs one HyParView membership node: the overlay on --listen, the client API on --api-listen.",
    "Every flag can also be set as the environment variable shown; the flag wins. Lists in the",
    "environment are comma-separated. Durations: 500ms, 2s, 1m (a bare number is milliseconds).",
    "",
  ];
  for (const f of FLAGS) {
    lines.push(`  --${f.name} ${ARG_NAMES[f.kind]}`.padEnd(34) + ` ${f.help}`);
    lines.push(" ".repeat(35) + `${envName(f.name)}; default: ${f.defaultText}`);
  }
  lines.push("  -h, --help".padEnd(34) + " print this help and exit");
  lines.push("  --version".padEnd(34) + " print the version and exit");
  lines.push("", "SIGTERM or SIGINT: leave the overlay gracefully, then exit 0. Invalid configuration: exit 2.");
  return lines.join("\n") + "\n";
}
