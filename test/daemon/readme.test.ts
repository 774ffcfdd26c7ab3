import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FLAGS, envName } from "../../src/daemon/flags.js";

describe("README Configuration table", () => {
  it("lists every hyparviewd flag with its variable and default", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("\n## ", readme.indexOf("## Configuration") + 1));
    for (const f of FLAGS) {
      const row = section.split("\n").find((l) => l.startsWith(`| \`--${f.name} `));
      expect(row, `--${f.name}`).toBeDefined();
      expect(row).toContain(`\`${envName(f.name)}\``);
      if (/^(\d[\w.:]*|info)$/.test(f.defaultText)) expect(row).toContain(`\`${f.defaultText}\``);
    }
  });
});
