#!/usr/bin/env node
// Restores package-lock.json entries for buf's prebuilt binaries of other platforms.
//
// The npm registry reachable from our machines serves only some of @bufbuild/buf's
// platform packages (404 for darwin, win32, linux-armv7), so `npm install` leaves them
// out of the lock, and `npm ci` then refuses the lock ("Missing: ... from lock file").
// Each entry names its os and cpu, so npm skips it on every other platform and never
// fetches it here. Run after any `npm install` that rewrites the lock; idempotent.
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const platform = {
  "darwin-arm64": ["darwin", "arm64"],
  "darwin-x64": ["darwin", "x64"],
  "linux-aarch64": ["linux", "arm64"],
  "linux-armv7": ["linux", "arm"],
  "linux-x64": ["linux", "x64"],
  "win32-arm64": ["win32", "arm64"],
  "win32-x64": ["win32", "x64"],
};
let added = 0;
for (const [key, pkg] of Object.entries(lock.packages)) {
  if (!key.endsWith("node_modules/@bufbuild/buf") || !pkg.optionalDependencies) continue;
  const prefix = key.slice(0, -"buf".length);
  for (const [name, version] of Object.entries(pkg.optionalDependencies)) {
    const entryKey = prefix + name.slice("@bufbuild/".length);
    if (lock.packages[entryKey]) continue;
    const target = platform[name.slice("@bufbuild/buf-".length)];
    if (!target) throw new Error(`unknown buf platform package ${name}`);
    lock.packages[entryKey] = {
      version,
      cpu: [target[1]],
      dev: pkg.dev,
      license: "Apache-2.0",
      optional: true,
      os: [target[0]],
      engines: { node: ">=12" },
    };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0)));
writeFileSync(path, JSON.stringify(lock, null, 2) + "\n");
console.log(`lock-platforms: ${added} entr${added === 1 ? "y" : "ies"} added`);
