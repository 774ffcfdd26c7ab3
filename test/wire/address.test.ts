import { describe, expect, it } from "vitest";
import { formatAddress, parseAddress } from "../../src/wire/index.js";

describe("parseAddress", () => {
  it.each([
    ["127.0.0.1:4500", "127.0.0.1", 4500],
    ["node-1.cluster.local:1", "node-1.cluster.local", 1],
    ["localhost:65535", "localhost", 65535],
    ["[::1]:4500", "::1", 4500],
    ["[fe80::1%eth0]:80", "fe80::1%eth0", 80],
  ])("accepts %s", (text, host, port) => {
    expect(parseAddress(text)).toEqual({ host, port });
  });

  it.each([
    "",
    "host",
    ":4500",
    "host:",
    "host:0",
    "host:65536",
    "host:+80",
    "host:80a",
    "host:123456",
    "::1:4500",
    "[::1]4500",
    "[nothex]:4500",
    "[1.2.3.4]:80",
    "ho st:80",
    "-host:80",
    "host/path:80",
  ])("rejects %j", (text) => {
    expect(parseAddress(text)).toBeNull();
  });

  it("formats IPv6 hosts with brackets and round-trips", () => {
    expect(formatAddress("::1", 4500)).toBe("[::1]:4500");
    expect(formatAddress("10.0.0.1", 4500)).toBe("10.0.0.1:4500");
    expect(parseAddress(formatAddress("::1", 9))).toEqual({ host: "::1", port: 9 });
  });
});
