#!/usr/bin/env bash
# Makes sure the Debian packages the local lab needs are installed (idempotent, fast when
# all are present). Called by `make system-deps`, `make test` and `make demo`.
set -euo pipefail

# openssh-server: the lab's loopback sshd; openssh-client: ssh, ssh-keygen, ssh-keyscan;
# dpkg-dev: dpkg-scanpackages for the lab's apt repository; init-system-helpers: `service`;
# sysvinit-utils: /lib/lsb/init-functions for the lab's init script; python3: the target's
# interpreter for Ansible modules; python3-apt: what ansible.builtin.apt needs on the target.
# samba-ad-dc: the lab's Active Directory DCs; samba-ad-provision: the schema files that
# `samba-tool domain provision` needs (only a Recommends of samba-ad-dc, so named here);
# iproute2: `ip addr add` of the second DC's loopback address, and the VPN server's netns;
# openvpn: the lab customer's VPN server (vpn_grant, vpn_revoke; see lab/vpn.py).
# request-tracker5 + rt5-db-sqlite + rt5-standalone: the lab's ticket system (Request Tracker 5
# on SQLite with its own web server; the lab runs it from a folder of its own, see lab/rt.py).
# nagios4-core + monitoring-plugins-basic: the lab's monitoring (Nagios 4 with check_http, run
# from a folder of its own, see lab/nagios.py; the package's own /etc/nagios4 stays unused).
# chromium: the browser the web page's tests drive through Playwright (tests/web; no browser
# download: Playwright launches this one).
PACKAGES=(openssh-server openssh-client dpkg-dev init-system-helpers sysvinit-utils python3 python3-apt openvpn
  samba-ad-dc samba-ad-provision iproute2 request-tracker5 rt5-db-sqlite rt5-standalone chromium
  nagios4-core monitoring-plugins-basic)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "Installing Debian packages: ${missing[*]}"
# request-tracker5 would otherwise ask (and create a database under /var/lib at install):
# the lab makes its own RT database in a folder of its own.
debconf-set-selections <<'PRESEED'
request-tracker5 request-tracker5/dbconfig-install boolean false
request-tracker5 request-tracker5/install-cronjobs boolean false
request-tracker5 request-tracker5/rtname string localhost
request-tracker5 request-tracker5/handle-siteconfig-permissions boolean true
PRESEED
# A broken extra source (e.g. a lab apt repo of a test session still running) fails the
# update; the lists of the remaining sources are still good enough to install from.
apt-get update -qq || echo "apt-get update reported errors; installing from the lists it has" >&2
# The lock timeout: another apt on the box (unattended upgrades, a second session) waits.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  -o DPkg::Lock::Timeout=300 "${missing[@]}"
