import { describe, expect, it } from "vitest";
import { parseCliArgs, type CliArgs } from "../../src/cli/args.js";

function run(argv: string[], env: Record<string, string> = {}) {
  const r = parseCliArgs(argv, env);
  if (r.kind !== "run") throw new Error(`expected a command, got ${JSON.stringify(r)}`);
  return r;
}

function usage(argv: string[], env: Record<string, string> = {}): string {
  const r: CliArgs = parseCliArgs(argv, env);
  if (r.kind !== "usage") throw new Error(`expected a usage error, got ${JSON.stringify(r)}`);
  expect(r.message).not.toContain("\n");
  return r.message;
}

describe("hyparview command line", () => {
  it("defaults to the local node's API, a table and a 5 s deadline", () => {
    expect(run(["members"])).toEqual({
      kind: "run",
      command: { name: "members", passive: false },
      options: { api: "127.0.0.1:4501", json: false, timeoutMs: 5000 },
    });
  });

  it("reads every command and flag, before or after the command", () => {
    expect(run(["watch", "--json", "--passive", "--api", "h:1"])).toMatchObject({
      command: { name: "watch", passive: true },
      options: { api: "h:1", json: true },
    });
    expect(run(["--timeout=2s", "join", "a:1", "b.example:4500"])).toMatchObject({
      command: { name: "join", contacts: ["a:1", "b.example:4500"] },
      options: { timeoutMs: 2000 },
    });
    expect(run(["leave"]).command).toEqual({ name: "leave" });
    expect(run(["health"]).command).toEqual({ name: "health" });
    expect(parseCliArgs(["--help"], {}).kind).toBe("help");
    expect(parseCliArgs(["--version"], {}).kind).toBe("version");
  });

  it("takes the API from HYPARVIEW_API, the flag winning", () => {
    expect(run(["members"], { HYPARVIEW_API: "env:9" }).options.api).toBe("env:9");
    expect(run(["members", "--api=flag:8"], { HYPARVIEW_API: "env:9" }).options.api).toBe("flag:8");
  });

  const errors: [string[], Record<string, string>, RegExp][] = [
    [[], {}, /missing command/],
    [["status"], {}, /unknown command "status"/],
    [["members", "--bogus"], {}, /unknown flag --bogus/],
    [["members", "extra"], {}, /members takes no arguments, got "extra"/],
    [["join"], {}, /join needs at least one contact/],
    [["join", "a:1", "nope"], {}, /invalid contact for join: not a host:port: "nope"/],
    [["join", "a:0"], {}, /invalid contact for join: port must be 1-65535/],
    [["leave", "--passive"], {}, /--passive applies to members and watch only/],
    [["members", "--api=nohost"], {}, /invalid --api: not a host:port/],
    [["members"], { HYPARVIEW_API: "x" }, /invalid --api \(from HYPARVIEW_API\)/],
    [["members", "--timeout=soon"], {}, /invalid --timeout: not a duration/],
    [["members", "--api"], {}, /flag --api needs a value/],
    [["members", "--json=1"], {}, /flag --json takes no value/],
  ];
  for (const [argv, env, re] of errors) {
    it(`${argv.join(" ") || "(nothing)"} -> ${re.source}`, () => {
      expect(usage(argv, env)).toMatch(re);
    });
  }
});
