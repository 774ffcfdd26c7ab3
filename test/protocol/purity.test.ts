/**
 * The core is pure (DESIGN.md): no I/O, timers, clocks, global randomness, logging or process
 * access, and no imports from outside src/protocol/. Checked on the source text, comments removed.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const dir = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "src", "protocol");
const files = readdirSync(dir).filter((f) => f.endsWith(".ts"));

/** Removes comments, keeps strings (a small lexer: enough for this code, no regex literals). */
function stripComments(src: string): string {
  let out = "";
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    const next = src[i + 1];
    if (c === "/" && next === "/") {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      const end = src.indexOf("*/", i + 2);
      i = end < 0 ? src.length : end + 2;
      out += " ";
    } else if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === "\\" ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Every module specifier: static imports and re-exports, side-effect imports, import(), require(). */
function specifiers(code: string): string[] {
  const out: string[] = [];
  const patterns = [
    /\b(?:import|export)\b[^;"'`]*?\bfrom\s*(["'`])([^"'`]+)\1/g,
    /\bimport\s*(["'`])([^"'`]+)\1/g,
    /\bimport\s*\(\s*(["'`])([^"'`]+)\1/g,
    /\brequire\s*\(\s*(["'`])([^"'`]+)\1/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) out.push(m[2]!);
  return out;
}

const FORBIDDEN: [string, RegExp][] = [
  ["setTimeout", /\bsetTimeout\b/],
  ["setInterval", /\bsetInterval\b/],
  ["setImmediate", /\bsetImmediate\b/],
  ["queueMicrotask", /\bqueueMicrotask\b/],
  ["Date.now", /\bDate\s*\.\s*now\b/],
  ["new Date", /\bnew\s+Date\b/],
  ["performance.now", /\bperformance\b/],
  ["Math.random", /\bMath\s*\.\s*random\b/],
  ["process.", /\bprocess\s*\./],
  ["console", /\bconsole\b/],
  ["crypto", /\bcrypto\b/],
  ["dynamic import", /\bimport\s*\(/],
  ["require", /\brequire\s*\(/],
];

describe("src/protocol is pure", () => {
  it("has the core's modules", () => {
    expect(files).toEqual(expect.arrayContaining(["hyparview.ts", "index.ts", "types.ts", "views.ts"]));
  });

  it("the lexer sees through comments but not through code", () => {
    expect(stripComments('a // Math.random\n/* console */ b "//x"')).toBe('a \n  b "//x"');
    expect(specifiers('import { x } from "./a.js";\nexport * from "../b.js";\nimport "node:fs";')).toEqual([
      "./a.js",
      "../b.js",
      "node:fs",
    ]);
  });

  it.each(files)("%s imports only sibling modules (./x.js within src/protocol)", (file) => {
    const code = stripComments(readFileSync(join(dir, file), "utf8"));
    for (const spec of specifiers(code)) {
      expect(spec, `${file} imports ${spec}`).toMatch(/^\.\/[\w-]+\.js$/);
      expect(existsSync(join(dir, spec.replace(/\.js$/, ".ts"))), `${file} imports missing ${spec}`).toBe(true);
    }
  });

  it.each(files)("%s uses no timers, clocks, global randomness, process or console", (file) => {
    const code = stripComments(readFileSync(join(dir, file), "utf8"));
    const found = FORBIDDEN.filter(([, re]) => re.test(code)).map(([name]) => name);
    expect(found, file).toEqual([]);
  });
});
