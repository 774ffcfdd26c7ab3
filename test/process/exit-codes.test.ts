/**
 * Exit codes of the real bins (dist/): invalid configuration is one stderr line and exit 2 for
 * hyparviewd; the CLI exits 2 on a usage error and 1 with one line when no node answers.
 * Needs `npm run build`. About 2 s.
 */
import { afterAll, describe, expect, it } from "vitest";
import { CLI_BIN, DAEMON_BIN, LocalCluster, freePort } from "../../scripts/local-cluster.js";

const procs = new LocalCluster();

afterAll(async () => {
  await procs.stopAll();
});

function run(bin: string, args: string[], env: Record<string, string> = {}) {
  const child = procs.spawn(process.execPath, [bin, ...args], env);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once("close", (code) => resolve({ code, stdout, stderr })),
  );
}

describe("hyparviewd exit codes", () => {
  const invalid: [string[], Record<string, string>, RegExp][] = [
    [["--bogus"], {}, /^hyparviewd: unknown flag --bogus/],
    [["--active-size=zero"], {}, /^hyparviewd: invalid --active-size: not a whole number: "zero"/],
    [["--arwl=2", "--prwl=3"], {}, /^hyparviewd: invalid --prwl: must be <= arwl \(2\), got 3/],
    [[], { HYPARVIEW_FAILURE_TIMEOUT: "soon" }, /^hyparviewd: invalid --failure-timeout \(from HYPARVIEW_FAILURE_TIMEOUT\)/],
  ];
  for (const [args, env, re] of invalid) {
    it(`${[...args, ...Object.keys(env)].join(" ")}: one line on stderr, exit 2, nothing started`, async () => {
      const r = await run(DAEMON_BIN, args, env);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(r.stdout).toBe("");
    });
  }

  it("--version and --help exit 0", async () => {
    expect(await run(DAEMON_BIN, ["--version"])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
    expect(await run(DAEMON_BIN, ["--help"])).toMatchObject({ code: 0, stdout: expect.stringContaining("HYPARVIEW_CONTACT") });
  });

  it("a port already in use: one line, exit 1", async () => {
    const node = await procs.start("busy");
    const r = await run(DAEMON_BIN, ["--id=other", `--listen=127.0.0.1:${await freePort()}`, `--api-listen=${node.api}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^hyparviewd: cannot start: /);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  });
});

describe("hyparview exit codes", () => {
  it("usage error: exit 2 with one line", async () => {
    const r = await run(CLI_BIN, ["frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('hyparview: unknown command "frobnicate" (members, watch, join, leave, health; see --help)\n');
  });

  it("no node at the address: exit 1 with one line", async () => {
    const port = await freePort();
    const r = await run(CLI_BIN, ["members"], { HYPARVIEW_API: `127.0.0.1:${port}` });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^hyparview: members: UNAVAILABLE: .*\\(api 127\\.0\\.0\\.1:${port}\\)\\n$`));
  });
});
