import { describe, expect, it } from "vitest";
import { parseDaemonArgs, type DaemonArgs, type DaemonOptions } from "../../src/daemon/options.js";
import { FLAGS, envName, helpText } from "../../src/daemon/flags.js";
import { parseDuration, parseHostPort } from "../../src/daemon/values.js";

const HOST = "box1";

function run(argv: string[], env: Record<string, string> = {}): DaemonOptions {
  const r = parseDaemonArgs(argv, env, HOST);
  if (r.kind !== "run") throw new Error(`expected options, got ${JSON.stringify(r)}`);
  return r.options;
}

function error(argv: string[], env: Record<string, string> = {}): string {
  const r: DaemonArgs = parseDaemonArgs(argv, env, HOST);
  if (r.kind !== "error") throw new Error(`expected an error, got ${JSON.stringify(r)}`);
  expect(r.message).not.toContain("\n");
  return r.message;
}

describe("hyparviewd defaults", () => {
  it("starts a new cluster on the documented ports with the host name as id", () => {
    expect(run([])).toEqual({
      id: HOST,
      listen: "0.0.0.0:4500",
      apiListen: "127.0.0.1:4501",
      contacts: [],
      metadata: {},
      protocol: {},
      heartbeatIntervalMs: 500,
      failureTimeoutMs: 2000,
      logLevel: "info",
    });
  });

  it("answers --help, -h and --version without reading the rest", () => {
    expect(parseDaemonArgs(["--help"], {}, HOST).kind).toBe("help");
    expect(parseDaemonArgs(["-h", "--arwl", "x"], {}, HOST).kind).toBe("help");
    expect(parseDaemonArgs(["--version"], {}, HOST).kind).toBe("version");
  });
});

describe("hyparviewd flags", () => {
  it("reads every flag", () => {
    const o = run([
      "--id=n1",
      "--listen=127.0.0.1:0",
      "--advertise=n1.example:7000",
      "--api-listen=[::1]:9000",
      "--contact=a:1",
      "--contact",
      "b.example:4500",
      "--meta=zone=eu-1",
      "--meta=app_endpoint=10.0.0.1:8080",
      "--active-size=4",
      "--passive-size=20",
      "--arwl=5",
      "--prwl=2",
      "--shuffle-interval=1s",
      "--shuffle-active=2",
      "--shuffle-passive=3",
      "--heartbeat-interval=200ms",
      "--failure-timeout=1.5s",
      "--log-level=debug",
    ]);
    expect(o).toEqual({
      id: "n1",
      listen: "127.0.0.1:0",
      advertise: "n1.example:7000",
      apiListen: "[::1]:9000",
      contacts: ["a:1", "b.example:4500"],
      metadata: { zone: "eu-1", app_endpoint: "10.0.0.1:8080" },
      protocol: {
        activeViewSize: 4,
        passiveViewSize: 20,
        arwl: 5,
        prwl: 2,
        shuffleIntervalMs: 1000,
        shuffleActive: 2,
        shufflePassive: 3,
      },
      heartbeatIntervalMs: 200,
      failureTimeoutMs: 1500,
      logLevel: "debug",
    });
  });

  it("keeps the last value of a flag given twice", () => {
    expect(run(["--id=a", "--id=b"]).id).toBe("b");
  });
});

describe("hyparviewd environment", () => {
  it("has one HYPARVIEW_<NAME> variable per flag", () => {
    expect(envName("api-listen")).toBe("HYPARVIEW_API_LISTEN");
    expect(envName("shuffle-interval")).toBe("HYPARVIEW_SHUFFLE_INTERVAL");
    const text = helpText();
    for (const f of FLAGS) {
      expect(text).toContain(`--${f.name}`);
      expect(text).toContain(envName(f.name));
    }
  });

  it("reads variables, with comma-separated lists", () => {
    const o = run([], {
      HYPARVIEW_ID: "n2",
      HYPARVIEW_CONTACT: "node1:4500, node2:4500,",
      HYPARVIEW_META: "zone=eu,rack=r1",
      HYPARVIEW_ACTIVE_SIZE: "3",
      HYPARVIEW_FAILURE_TIMEOUT: "1m",
      HYPARVIEW_LOG_LEVEL: "warn",
    });
    expect(o.id).toBe("n2");
    expect(o.contacts).toEqual(["node1:4500", "node2:4500"]);
    expect(o.metadata).toEqual({ zone: "eu", rack: "r1" });
    expect(o.protocol).toEqual({ activeViewSize: 3 });
    expect(o.failureTimeoutMs).toBe(60_000);
    expect(o.logLevel).toBe("warn");
  });

  it("lets flags win, a flag list replacing the variable's list", () => {
    const o = run(["--id=flag", "--contact=c:3"], { HYPARVIEW_ID: "env", HYPARVIEW_CONTACT: "a:1,b:2" });
    expect(o.id).toBe("flag");
    expect(o.contacts).toEqual(["c:3"]);
  });

  it("treats an empty variable as unset", () => {
    expect(run([], { HYPARVIEW_ADVERTISE: "", HYPARVIEW_CONTACT: " " })).toEqual(run([]));
  });

  it("tolerates HYPARVIEW_API (the CLI's) and unrelated variables", () => {
    expect(run([], { HYPARVIEW_API: "x:1", PATH: "/bin" })).toEqual(run([]));
  });

  it("refuses an unknown HYPARVIEW_ variable (a typo would be silently ignored)", () => {
    expect(error([], { HYPARVIEW_CONTACTS: "a:1" })).toMatch(/HYPARVIEW_CONTACTS/);
  });
});

describe("hyparviewd configuration errors name the flag", () => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [["--bogus"], {}, /unknown flag --bogus/],
    [["-x"], {}, /unknown flag -x/],
    [["positional"], {}, /unexpected argument "positional"/],
    [["--id"], {}, /flag --id needs a value/],
    [["--help=yes"], {}, /flag --help takes no value/],
    [["--id="], {}, /--id: must not be empty/],
    [["--listen=4500"], {}, /--listen: not a host:port: "4500"/],
    [["--listen=host:70000"], {}, /--listen: port must be 0-65535/],
    [["--advertise=host:0"], {}, /--advertise: port must be 1-65535/],
    [["--api-listen=:4501"], {}, /--api-listen: not a host:port/],
    [["--contact=a:1", "--contact=nope"], {}, /--contact: not a host:port: "nope"/],
    [["--meta=novalue"], {}, /--meta: not key=value/],
    [["--meta==v"], {}, /--meta: bad key/],
    [["--active-size=five"], {}, /--active-size: not a whole number: "five"/],
    [["--active-size=0"], {}, /--active-size: must be at least 1, got 0/],
    [["--passive-size=-1"], {}, /--passive-size: not a whole number/],
    [["--arwl=2.5"], {}, /--arwl: not a whole number/],
    [["--prwl=7"], {}, /--prwl: must be <= arwl \(6\), got 7/],
    [["--arwl=300"], {}, /--arwl: must be <= 255/],
    [["--shuffle-active=0", "--shuffle-passive=0"], {}, /--shuffle-passive: shuffleActive \+ shufflePassive/],
    [["--shuffle-interval=soon"], {}, /--shuffle-interval: not a duration: "soon"/],
    [["--shuffle-interval=0"], {}, /--shuffle-interval: must be at least 1ms/],
    [["--heartbeat-interval=1.5ms"], {}, /--heartbeat-interval: not a whole number of milliseconds/],
    [["--failure-timeout=2d"], {}, /--failure-timeout: not a duration/],
    [["--failure-timeout=400ms"], {}, /--failure-timeout: the failure timeout \(400ms\) must exceed the heartbeat interval \(500ms\)/],
    [["--heartbeat-interval=3s"], {}, /--heartbeat-interval: the failure timeout \(2000ms\) must exceed/],
    [["--log-level=loud"], {}, /--log-level: must be one of trace, debug/],
    [[], { HYPARVIEW_ARWL: "x" }, /invalid --arwl \(from HYPARVIEW_ARWL\): not a whole number/],
    [[], { HYPARVIEW_CONTACT: "a:1,b" }, /--contact \(from HYPARVIEW_CONTACT\): not a host:port: "b"/],
    [["--arwl=2"], { HYPARVIEW_PRWL: "3" }, /--prwl \(from HYPARVIEW_PRWL\): must be <= arwl \(2\)/],
  ];
  for (const [argv, env, re] of cases) {
    it(`${[...argv, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)].join(" ")} -> ${re.source}`, () => {
      expect(error(argv, env)).toMatch(re);
    });
  }
});

describe("values", () => {
  it("parses durations in ms, s, m, h and bare milliseconds", () => {
    expect(parseDuration("250")).toBe(250);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("2s")).toBe(2000);
    expect(parseDuration("0.5s")).toBe(500);
    expect(parseDuration("1m")).toBe(60_000);
    expect(parseDuration("1h")).toBe(3_600_000);
    expect(() => parseDuration("1 s ms")).toThrow();
    expect(() => parseDuration("-1s")).toThrow();
    expect(() => parseDuration("30d")).toThrow();
  });

  it("parses host:port with names, IPv4 and bracketed IPv6", () => {
    expect(parseHostPort("localhost:0", 0)).toBe("localhost:0");
    expect(parseHostPort(" 10.0.0.1:4500 ", 1)).toBe("10.0.0.1:4500");
    expect(parseHostPort("[fe80::1%eth0]:4500", 1)).toBe("[fe80::1%eth0]:4500");
    expect(() => parseHostPort("::1:4500", 1)).toThrow();
    expect(() => parseHostPort("http://a:1", 1)).toThrow();
    expect(() => parseHostPort("a:", 1)).toThrow();
    expect(() => parseHostPort("a:123456", 1)).toThrow();
  });
});
