import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { resolveServeSettings, serveConfigKeys } from '../../src/cli/commands/serve.js';
import type { CliIO } from '../../src/cli/io.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const EXAMPLE = 'deploy/config.example.json';
const io: CliIO = { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env: {}, cwd: ROOT };

t.test('the example config documents every setting the config loader knows (set, or commented out as "//key")', async (t) => {
  const example = JSON.parse(read(EXAMPLE)) as Record<string, unknown>;
  const keys = serveConfigKeys();
  t.ok(keys.length >= 20, 'the loader list is the real one');
  for (const key of keys) t.ok(key in example || `//${key}` in example, `${EXAMPLE} covers "${key}"`);
  for (const key of Object.keys(example)) {
    if (!key.startsWith('//')) t.ok(keys.includes(key), `"${key}" is a setting the loader knows`);
  }
});

t.test('the example config loads through the real loader with the values it shows', async (t) => {
  const example = JSON.parse(read(EXAMPLE)) as Record<string, unknown>;
  const settings = (await resolveServeSettings(['--config', EXAMPLE], io)) as unknown as Record<string, unknown>;
  // The work and connection bounds land in settings.limits, named as the server names them (…Ms for times).
  const limits = (settings.limits ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(example)) {
    if (key.startsWith('//')) continue;
    const loaded = key in settings ? settings[key] : (limits[key] ?? limits[`${key}Ms`]);
    t.same(loaded, value, key);
  }
  t.equal(settings.password, undefined, 'no password in the example: it belongs in the environment');
});

t.test('README "Deploy" lists every setting', async (t) => {
  const readme = read('README.md');
  const start = readme.indexOf('\n## Deploy');
  t.ok(start >= 0, 'README has a Deploy section');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 5) === -1 ? undefined : readme.indexOf('\n## ', start + 5));
  for (const key of serveConfigKeys()) t.match(section, `| \`${key}\``, `README Deploy documents "${key}"`);
});

t.test('the systemd unit runs serve from dist as its own user, hardened, with reload = SIGHUP', async (t) => {
  const unit = read('deploy/devicegate.service');
  const has = (line: string) => t.ok(unit.split('\n').includes(line), line);
  for (const line of [
    'User=devicegate',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'PrivateTmp=yes',
    'CapabilityBoundingSet=',
    'ReadOnlyPaths=/opt/devicegate /etc/devicegate',
    'ExecReload=/bin/kill -HUP $MAINPID',
    'ExecStart=/usr/bin/node /opt/devicegate/dist/cli/main.js serve --config /etc/devicegate/config.json',
  ]) {
    has(line);
  }
  const verify = spawnSync('systemd-analyze', ['verify', join(ROOT, 'deploy/devicegate.service')], { encoding: 'utf8' });
  if (verify.error) t.comment('systemd-analyze not installed: unit syntax not verified');
  else t.equal(verify.stderr.trim(), '', `systemd-analyze verify is clean: ${verify.stderr}`);
});

t.test('the Containerfile builds dist at npm ci and runs it as an unprivileged user', async (t) => {
  const recipe = read('deploy/Containerfile');
  t.match(recipe, /^RUN npm ci\b.*&& npm prune --omit=dev/m);
  t.match(recipe, /^USER node$/m);
  t.match(recipe, /^ENTRYPOINT \["node", "\/opt\/devicegate\/dist\/cli\/main\.js"\]$/m);
  t.match(recipe, /^COPY src src$/m, 'sources are there for "prepare" to build');
  const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
  t.match(pkg.scripts.prepare, /build/, 'npm ci runs "prepare", which builds dist/');
  t.notMatch(pkg.scripts.start, /npm run build|tsc/, 'npm start does not compile');
});

t.test('LICENSE is the MIT license package.json names', async (t) => {
  const pkg = JSON.parse(read('package.json')) as { license: string };
  t.equal(pkg.license, 'MIT');
  t.match(read('LICENSE'), /^MIT License\n\nCopyright \(c\) \d{4} /);
  t.match(read('LICENSE'), /THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND/);
});
