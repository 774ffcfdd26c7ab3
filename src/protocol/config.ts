/**
 * Protocol configuration. Defaults are the paper's evaluation values (§5: n = 10,000, c = 1,
 * k = 6) unless the comment says why we chose otherwise. Validated once, by `resolveConfig`.
 */
export interface ProtocolConfig {
  /** Active view size, log10(n) + c (§4.1). Default 5. */
  readonly activeViewSize: number;
  /** Passive view size, k · (log10(n) + c) (§4.1). Default 30. */
  readonly passiveViewSize: number;
  /** Active random walk length: FORWARD_JOIN's starting TTL, and SHUFFLE's (§4.2, §4.4). Default 6. */
  readonly arwl: number;
  /** Passive random walk length: the TTL at which FORWARD_JOIN adds the joiner to the passive
   * view (§4.2). Must be <= ARWL. Default 3. */
  readonly prwl: number;
  /** ka: active peers sent in a SHUFFLE (§4.4). Default 3. */
  readonly shuffleActive: number;
  /** kp: passive peers sent in a SHUFFLE (§4.4). Default 4. */
  readonly shufflePassive: number;
  /** Period of the shuffle (one membership cycle), ms. The paper counts cycles only; a few
   * seconds keeps the passive view fresh at negligible traffic. Default 5000. */
  readonly shuffleIntervalMs: number;
  /** Period of maintenance (request expiry, repair while the active view is short, rejoin when
   * isolated), ms. Not in the paper (§4.3 repairs only on failure); see DESIGN.md. Default 1000. */
  readonly maintenanceIntervalMs: number;
  /** A NEIGHBOR or JOIN unanswered for this long counts as a failed attempt, ms. Default 3000. */
  readonly requestTimeoutMs: number;
  /** First delay before retrying a join through the contacts, ms; doubles per attempt, with
   * jitter (half to full delay). Default 250. */
  readonly joinBackoffMinMs: number;
  /** Upper bound of the join retry delay, ms. Default 15000. */
  readonly joinBackoffMaxMs: number;
  /** Failed attempts before a passive entry may be dropped. The paper drops at the first (1);
   * during a partition that drains the other side from every view, so we keep it longer.
   * Default 3. */
  readonly passiveMaxFailures: number;
  /** ...and only once its first failure is at least this old, ms. Partitions shorter than this
   * heal by themselves (see probeIntervalMs). Default 300000 (5 minutes). */
  readonly passiveRetentionMs: number;
  /** While the active view is full, one passive entry that failed before is probed with a
   * high-priority NEIGHBOR at most this often, ms, so that the halves of a healed partition find
   * each other (beyond the paper; see probe.ts). 0 disables. Default 10000. */
  readonly probeIntervalMs: number;
  /** A failed active peer stays in the passive view as a last-resort candidate (tried after the
   * others) so that healed partitions re-merge. The paper drops it (false). Default true. */
  readonly keepFailedAsPassive: boolean;
  /** How long a peer that left gracefully is kept out of every view unless it comes back with a
   * newer incarnation, ms. Default 30000. */
  readonly leftDenyMs: number;
}

export const DEFAULT_PROTOCOL_CONFIG: ProtocolConfig = Object.freeze({
  activeViewSize: 5,
  passiveViewSize: 30,
  arwl: 6,
  prwl: 3,
  shuffleActive: 3,
  shufflePassive: 4,
  shuffleIntervalMs: 5000,
  maintenanceIntervalMs: 1000,
  requestTimeoutMs: 3000,
  joinBackoffMinMs: 250,
  joinBackoffMaxMs: 15000,
  passiveMaxFailures: 3,
  passiveRetentionMs: 300000,
  probeIntervalMs: 10000,
  keepFailedAsPassive: true,
  leftDenyMs: 30000,
});

/** An invalid configuration: `field` names the offending setting, `message` the rule. */
export class ConfigError extends Error {
  constructor(
    readonly field: keyof ProtocolConfig,
    readonly rule: string,
  ) {
    super(`${field}: ${rule}`);
    this.name = "ConfigError";
  }
}

/** Merges `overrides` over the defaults and validates the result; throws `ConfigError`. */
export function resolveConfig(overrides: Partial<ProtocolConfig> = {}): ProtocolConfig {
  const c: ProtocolConfig = { ...DEFAULT_PROTOCOL_CONFIG, ...overrides };
  const int = (f: keyof ProtocolConfig, min: number) => {
    const v = c[f];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      throw new ConfigError(f, `must be an integer >= ${min}, got ${String(v)}`);
    }
  };
  int("activeViewSize", 1);
  int("passiveViewSize", 1);
  int("arwl", 1);
  int("prwl", 0);
  int("shuffleActive", 0);
  int("shufflePassive", 0);
  int("shuffleIntervalMs", 1);
  int("maintenanceIntervalMs", 1);
  int("requestTimeoutMs", 1);
  int("joinBackoffMinMs", 1);
  int("joinBackoffMaxMs", 1);
  int("passiveMaxFailures", 1);
  int("passiveRetentionMs", 0);
  int("leftDenyMs", 0);
  int("probeIntervalMs", 0);
  if (c.prwl > c.arwl) throw new ConfigError("prwl", `must be <= arwl (${c.arwl}), got ${c.prwl}`);
  if (c.arwl > 255) throw new ConfigError("arwl", `must be <= 255, got ${c.arwl}`);
  if (c.joinBackoffMaxMs < c.joinBackoffMinMs) {
    throw new ConfigError("joinBackoffMaxMs", `must be >= joinBackoffMinMs (${c.joinBackoffMinMs})`);
  }
  if (c.shuffleActive + c.shufflePassive < 1) {
    throw new ConfigError("shufflePassive", "shuffleActive + shufflePassive must be >= 1");
  }
  if (typeof c.keepFailedAsPassive !== "boolean") {
    throw new ConfigError("keepFailedAsPassive", "must be a boolean");
  }
  return Object.freeze(c);
}

/** Most entries a SHUFFLE may carry: ka + kp + the origin itself. */
export function maxShuffleEntries(c: ProtocolConfig): number {
  return c.shuffleActive + c.shufflePassive + 1;
}
