#!/usr/bin/env node
// Builds dist/ only when it is missing or older than a source file (npm start's guard; `npm ci` already
// built it through the "prepare" script, so a fresh install starts without compiling).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(path));
    else if (entry.name.endsWith('.ts')) latest = Math.max(latest, statSync(path).mtimeMs);
  }
  return latest;
}

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

const built = mtime(join(root, 'dist/cli/main.js'));
const sources = Math.max(newest(join(root, 'src')), mtime(join(root, 'tsconfig.json')), mtime(join(root, 'tsconfig.build.json')));
if (built >= sources) process.exit(0);

process.stderr.write(built < 0 ? 'devicegate: dist/ is missing; building it once (npm run build)\n' : 'devicegate: src/ changed since the last build; rebuilding dist/\n');
const tsc = join(root, 'node_modules/typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
if (result.error) {
  process.stderr.write(`devicegate: cannot build dist/ (${result.error.message}); run "npm ci" (it builds dist/ through "prepare")\n`);
  process.exit(1);
}
process.exit(result.status ?? 1);
