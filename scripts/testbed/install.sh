#!/usr/bin/env bash
# Installs the Debian packages the real-server testbed runs (Dovecot, Postfix, INN2,
# OpenSSL) when any is missing. Called by scripts/test.sh and `scripts/testbed.sh install`.
# Starts no system daemon: policy-rc.d denies that, and the testbed runs private instances.
set -euo pipefail

log() { printf '\033[1mtestbed:\033[0m %s\n' "$*" >&2; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

missing=()
for pkg in dovecot-imapd dovecot-pop3d postfix inn2 openssl; do
    installed "$pkg" || missing+=("$pkg")
done
((${#missing[@]})) || exit 0
[ "$(id -u)" = 0 ] || { log "need root to install ${missing[*]}"; exit 1; }

# Without policy-rc.d the postinst scripts would start system-wide daemons on the
# standard ports; remove the file again only if we created it.
created_policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
fi
cleanup() { [ -z "$created_policy" ] || rm -f /usr/sbin/policy-rc.d; }
trap cleanup EXIT

log "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt=(apt-get -o DPkg::Lock::Timeout=600 -y -qq)
# "No configuration" leaves no /etc/postfix/main.cf, and inn2's postinst (newaliases) fails.
echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
apt-get -o DPkg::Lock::Timeout=600 update -qq
rest=()
for pkg in "${missing[@]}"; do [ "$pkg" = inn2 ] || rest+=("$pkg"); done
((${#rest[@]} == 0)) || "${apt[@]}" install "${rest[@]}" >/dev/null
if ! installed inn2; then
    # inn2's postinst fails when the host has no FQDN ("hostname does not resolve or
    # domain not set in inn.conf"): give inn.conf a domain and finish the configuration.
    if ! "${apt[@]}" install inn2 >/dev/null 2>&1; then
        log "inn2 postinst failed (no FQDN?): setting 'domain: example.test' in /etc/news/inn.conf"
        if grep -q '^domain:' /etc/news/inn.conf; then
            sed -i 's/^domain:.*/domain: example.test/' /etc/news/inn.conf
        else
            echo 'domain: example.test' >>/etc/news/inn.conf
        fi
        dpkg --configure -a
    fi
fi
for pkg in "${missing[@]}"; do
    installed "$pkg" || { log "$pkg did not install"; exit 1; }
done
log "installed ${missing[*]}"
