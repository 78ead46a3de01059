import { existsSync } from 'node:fs';
import { contosoFixture } from './contoso-fixture.js';
import { devFixture } from './dev-fixture.js';
import type { FixtureSpec } from './directory-cases.js';

const MANIFEST = new URL('../../fixtures/devices.json', import.meta.url).pathname;

/** The fixture the directory suites run against: fixtures/contoso.ldif (dev LDIF only if it is missing). */
export function activeFixture(): FixtureSpec {
  return existsSync(MANIFEST) ? contosoFixture() : devFixture;
}
