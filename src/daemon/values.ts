/**
 * Parsers for the values an operator types on a command line or in an environment variable:
 * durations, host:port endpoints, key=value labels, counts. Each returns the value or throws a
 * `ValueError` whose message says what is wrong (the caller adds which flag it was).
 */

/** A value that does not parse; the message says why, without naming the flag. */
export class ValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ValueError";
  }
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration in whole milliseconds: "500ms", "2s", "1.5s", "1m", "1h". A bare number is
 * milliseconds ("250" = 250 ms), the unit every timing in the code uses. Must be at least 1 ms.
 */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new ValueError(`not a duration: ${quote(text)} (use e.g. 500ms, 2s, 1m; a bare number is ms)`);
  const ms = Number(m[1]) * DURATION_UNITS[m[2] ?? "ms"]!;
  if (!Number.isInteger(ms)) throw new ValueError(`not a whole number of milliseconds: ${quote(text)}`);
  if (ms < 1) throw new ValueError(`must be at least 1ms, got ${quote(text)}`);
  if (ms > 2_147_483_647) throw new ValueError(`too long (at most about 24 days): ${quote(text)}`);
  return ms;
}

/** A non-negative integer count ("5"), at least `min`. */
export function parseCount(text: string, min: number): number {
  if (!/^\d+$/.test(text.trim())) throw new ValueError(`not a whole number: ${quote(text)}`);
  const n = Number(text.trim());
  if (!Number.isSafeInteger(n)) throw new ValueError(`too large: ${quote(text)}`);
  if (n < min) throw new ValueError(`must be at least ${min}, got ${n}`);
  return n;
}

/**
 * A "host:port" endpoint. The host is a name, an IPv4 address, or an IPv6 address in brackets
 * ("[::1]:4500"); the port is a decimal in [minPort, 65535] (0 means "any free port" for a listen
 * address). Returns the text trimmed, unchanged otherwise.
 */
export function parseHostPort(text: string, minPort: 0 | 1): string {
  const t = text.trim();
  const m = /^(\[[0-9A-Fa-f:.%\w]+\]|[^\s:[\]/]+):(\d{1,5})$/.exec(t);
  if (!m) throw new ValueError(`not a host:port: ${quote(text)}`);
  const port = Number(m[2]);
  if (port < minPort || port > 65535) {
    throw new ValueError(`port must be ${minPort}-65535 in ${quote(text)}`);
  }
  return t;
}

/** A "key=value" label. The key is non-empty and has no "=" or whitespace; the value may be empty. */
export function parseMeta(text: string): [string, string] {
  const i = text.indexOf("=");
  if (i < 0) throw new ValueError(`not key=value: ${quote(text)}`);
  const key = text.slice(0, i).trim();
  const value = text.slice(i + 1);
  if (key === "" || /\s/.test(key)) throw new ValueError(`bad key in ${quote(text)}: must be non-empty, no spaces`);
  return [key, value];
}

/** Splits an environment list ("a:1, b:2") on commas, dropping empty items. */
export function splitList(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function quote(s: string): string {
  return JSON.stringify(s);
}
