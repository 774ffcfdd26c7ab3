import { describe, expect, it } from "vitest";
import {
  ConfigError,
  DEFAULT_PROTOCOL_CONFIG,
  maxShuffleEntries,
  resolveConfig,
  type ProtocolConfig,
} from "../../src/protocol/index.js";

describe("protocol configuration", () => {
  it("defaults are the paper's evaluation values (§5): active 5, passive 30, ARWL 6, PRWL 3, ka 3, kp 4", () => {
    const c = resolveConfig();
    expect([c.activeViewSize, c.passiveViewSize, c.arwl, c.prwl, c.shuffleActive, c.shufflePassive]).toEqual([
      5, 30, 6, 3, 3, 4,
    ]);
    expect(c).toEqual(DEFAULT_PROTOCOL_CONFIG);
    // A shuffle carries the origin plus ka + kp ids: 8 with the defaults (§5).
    expect(maxShuffleEntries(c)).toBe(8);
  });

  it("overrides merge over the defaults and the result is frozen", () => {
    const c = resolveConfig({ activeViewSize: 7, prwl: 2 });
    expect(c.activeViewSize).toBe(7);
    expect(c.prwl).toBe(2);
    expect(c.passiveViewSize).toBe(30);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it("accepts the paper's passive-view policy (drop at the first failure, forget failed peers)", () => {
    const c = resolveConfig({ passiveMaxFailures: 1, passiveRetentionMs: 0, keepFailedAsPassive: false });
    expect(c.passiveMaxFailures).toBe(1);
  });

  const invalid: [string, Partial<ProtocolConfig>, keyof ProtocolConfig][] = [
    ["prwl > arwl", { arwl: 3, prwl: 4 }, "prwl"],
    ["activeViewSize 0", { activeViewSize: 0 }, "activeViewSize"],
    ["non-integer activeViewSize", { activeViewSize: 2.5 }, "activeViewSize"],
    ["NaN passiveViewSize", { passiveViewSize: Number.NaN }, "passiveViewSize"],
    ["negative shuffleActive", { shuffleActive: -1 }, "shuffleActive"],
    ["arwl 0", { arwl: 0 }, "arwl"],
    ["non-integer arwl", { arwl: 4.5 }, "arwl"],
    ["string in a number field", { requestTimeoutMs: "3000" as unknown as number }, "requestTimeoutMs"],
    ["infinite shuffle period", { shuffleIntervalMs: Number.POSITIVE_INFINITY }, "shuffleIntervalMs"],
    ["backoff max below min", { joinBackoffMinMs: 1000, joinBackoffMaxMs: 500 }, "joinBackoffMaxMs"],
    ["passiveMaxFailures 0", { passiveMaxFailures: 0 }, "passiveMaxFailures"],
    ["empty shuffle (ka + kp = 0)", { shuffleActive: 0, shufflePassive: 0 }, "shufflePassive"],
    ["non-boolean keepFailedAsPassive", { keepFailedAsPassive: 1 as unknown as boolean }, "keepFailedAsPassive"],
  ];
  it.each(invalid)("refuses %s with a ConfigError naming the field", (_name, overrides, field) => {
    let error: unknown;
    try {
      resolveConfig(overrides);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe(field);
    expect((error as ConfigError).message).toContain(field);
  });
});
