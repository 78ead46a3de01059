#!/usr/bin/env bash
# Builds the shim with Mono against the compile-only stub of AD FS's attribute-store types, plus the
# test driver: build.sh OUT_DIR. (On Windows, build against the real Microsoft.IdentityServer.ClaimsPolicy.dll:
# see README.md.) Needs mcs (Debian mono-mcs) and the System.Net.Http / System.Net.Http.WebRequest /
# System.Runtime.Serialization assemblies (libmono-system-net-http4.0-cil,
# libmono-system-net-http-webrequest4.0-cil, libmono-system-runtime-serialization4.0-cil).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: build.sh OUT_DIR}"
mkdir -p "$out"
refs=(-r:System.Net.Http.dll -r:System.Net.Http.WebRequest.dll -r:System.Runtime.Serialization.dll)
mcs -nologo -warnaserror -target:library -out:"$out/Microsoft.IdentityServer.ClaimsPolicy.dll" "$here/stub/AttributeStoreStub.cs"
mcs -nologo -warnaserror -target:library -r:"$out/Microsoft.IdentityServer.ClaimsPolicy.dll" "${refs[@]}" \
  -out:"$out/Devicegate.AdfsAttributeStore.dll" "$here/src/DevicegateAttributeStore.cs"
mcs -nologo -warnaserror -target:exe -r:"$out/Microsoft.IdentityServer.ClaimsPolicy.dll" -r:"$out/Devicegate.AdfsAttributeStore.dll" \
  -r:System.Runtime.Serialization.dll -out:"$out/ShimDriver.exe" "$here/test/ShimDriver.cs"
