#!/usr/bin/env bash
# Installs the real directory servers the tests start (OpenLDAP slapd, Samba AD DC) when missing.
# Debian/Ubuntu + root (CI, the dev machines); elsewhere it says what to install and carries on,
# and the directory suites fail with a clear message naming the missing binary.
set -euo pipefail
need=()
command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ] || need+=(slapd ldap-utils)
command -v ldapsearch >/dev/null 2>&1 || need+=(ldap-utils)
{ command -v samba >/dev/null 2>&1 || [ -x /usr/sbin/samba ]; } || need+=(samba samba-ad-dc samba-ad-provision samba-dsdb-modules)
command -v ldbadd >/dev/null 2>&1 || need+=(ldb-tools)
# headless Chromium checks the inventory's HTML report (driven by playwright-core, no browser download)
{ command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; } || need+=(chromium)
{ command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ]; } || need+=(iproute2)
# Mono compiles and runs the AD FS attribute-store shim (integrations/adfs-attribute-store) in its contract test:
# mcs, mono, and the three framework assemblies the shim uses beyond mscorlib/System.
command -v mcs >/dev/null 2>&1 || need+=(mono-mcs)
command -v mono >/dev/null 2>&1 || need+=(mono-runtime)
[ -e /usr/lib/mono/4.5/System.Net.Http.dll ] || need+=(libmono-system-net-http4.0-cil)
[ -e /usr/lib/mono/4.5/System.Net.Http.WebRequest.dll ] || need+=(libmono-system-net-http-webrequest4.0-cil)
[ -e /usr/lib/mono/4.5/System.Runtime.Serialization.dll ] || need+=(libmono-system-runtime-serialization4.0-cil)
# curl: test/server/bounded-work.test.ts sends a 2 MB body with curl's default Expect: 100-continue.
command -v curl >/dev/null 2>&1 || need+=(curl)
# HAProxy: the scale-out test puts two replicas behind it (test/server/scale-out.test.ts)
{ command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ]; } || need+=(haproxy)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-test-servers: missing ${need[*]}; install them (Debian: apt-get install --no-install-recommends ${need[*]})" >&2
  exit 0
fi
echo "ensure-test-servers: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-install-recommends keeps libnss-winbind (which edits /etc/nsswitch.conf) out
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
