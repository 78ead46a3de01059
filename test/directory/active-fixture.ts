import { devFixture } from './dev-fixture.js';
import type { FixtureSpec } from './directory-cases.js';

/** The fixture the directory suites run against. */
export function activeFixture(): FixtureSpec {
  return devFixture;
}
