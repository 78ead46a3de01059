#!/usr/bin/env bash
# npm run fixtures [-- --check | --fresh]: every generated fixture (certificates + contoso.ldif, SAML tokens).
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsx scripts/make-fixtures.ts "$@"
npx tsx scripts/fixtures/saml-tokens.ts "$@"
npx tsx scripts/fixtures/whfb-world.ts "$@"
