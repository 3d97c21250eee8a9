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
# icinga2: the lab's Icinga 2, run the same way (lab/icinga.py); the package's own daemon is
# kept from starting at install and at boot (see no_system_icinga below).
# chromium: the browser the web page's tests drive through Playwright (tests/web; no browser
# download: Playwright launches this one).
PACKAGES=(openssh-server openssh-client dpkg-dev init-system-helpers sysvinit-utils python3 python3-apt openvpn
  samba-ad-dc samba-ad-provision iproute2 request-tracker5 rt5-db-sqlite rt5-standalone chromium
  nagios4-core monitoring-plugins-basic icinga2)

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
# icinga2's postinst starts its system-wide daemon (invoke-rc.d, or deb-systemd-invoke under
# systemd; both ask /usr/sbin/policy-rc.d first) and enables it at boot. The lab runs its own
# Icinga from a folder, so while apt runs, a policy-rc.d answers 101 (forbidden) for icinga2
# and leaves every other service to the policy-rc.d the machine had (none: allowed); after
# it, the one the machine had is back and the boot links are disabled.
POLICY=/usr/sbin/policy-rc.d
KEPT_POLICY=$POLICY.fixline-kept
restore_policy() {
  if [[ -e $KEPT_POLICY ]]; then
    mv -f "$KEPT_POLICY" "$POLICY"
  elif [[ -e $POLICY ]] && grep -q '^# fixline system-deps' "$POLICY"; then
    rm -f "$POLICY"
  fi
}
restore_policy  # left by a run that was killed while apt ran
no_system_icinga=0
if [[ " ${missing[*]} " == *" icinga2 "* ]]; then
  no_system_icinga=1
  answer=0
  [[ -x $POLICY ]] && { "$POLICY" icinga2 start >/dev/null 2>&1 || answer=$?; }
  if [[ $answer -ne 101 ]]; then
    # Not already forbidden (a container's policy-rc.d usually forbids everything).
    trap restore_policy EXIT
    [[ -e $POLICY ]] && mv -f "$POLICY" "$KEPT_POLICY"
    {
      echo '#!/bin/sh'
      echo '# fixline system-deps: icinga2 is not started while apt installs it.'
      echo '[ "$1" = icinga2 ] && exit 101'
      if [[ -e $KEPT_POLICY ]]; then echo "exec $KEPT_POLICY \"\$@\""; else echo 'exit 0'; fi
    } >"$POLICY"
    chmod 755 "$POLICY"
  fi
fi
# A broken extra source (e.g. a lab apt repo of a test session still running) fails the
# update; the lists of the remaining sources are still good enough to install from.
apt-get update -qq || echo "apt-get update reported errors; installing from the lists it has" >&2
# The lock timeout: another apt on the box (unattended upgrades, a second session) waits.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  -o DPkg::Lock::Timeout=300 "${missing[@]}"
if [[ $no_system_icinga -eq 1 ]]; then
  update-rc.d icinga2 disable >/dev/null 2>&1 || true
fi
