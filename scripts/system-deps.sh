#!/usr/bin/env bash
# Makes sure the Debian packages the local lab needs are installed (idempotent, fast when
# all are present). Called by `make system-deps`, `make test` and `make demo`.
set -euo pipefail

# openssh-server: the lab's loopback sshd; openssh-client: ssh, ssh-keygen, ssh-keyscan;
# dpkg-dev: dpkg-scanpackages for the lab's apt repository; init-system-helpers: `service`;
# sysvinit-utils: /lib/lsb/init-functions for the lab's init script; python3: the target's
# interpreter for Ansible modules; python3-apt: what ansible.builtin.apt needs on the target.
PACKAGES=(openssh-server openssh-client dpkg-dev init-system-helpers sysvinit-utils python3 python3-apt)

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
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
