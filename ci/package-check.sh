#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-3.0-or-later
# What a user of the packages does on a fresh machine after
#   apt-get install ./localio-fsal_*.deb ./localio-preload_*.deb ...
# with the packaged programs only (ci/test-packages.sh installs them in a
# fresh root, then runs this there in a network namespace of its own): a
# ganesha.conf with one LOCALIO export over VFS, rpcbind and the stock
# ganesha.nfsd (Debian's Plugins_Dir: no path to configure), and the
# unmodified nfs-cp under the packaged shim. Checks: the server logs the
# FSAL loaded and the export stacked, rpcinfo lists 400122, localio-stat
# shows the export, the copy in and out is byte-identical and bypassed
# (under 1% of it on loopback), and pkg-config finds liblocalio-client.
set -euo pipefail

fail() { echo "package-check: FAILED: $*" >&2; [ -f /tmp/pkg/ganesha.log ] && tail -n 30 /tmp/pkg/ganesha.log >&2; exit 1; }
log() { echo "package-check: $*"; }

release=$(. /etc/os-release && echo "Debian ${VERSION_ID:-$VERSION_CODENAME}")
for p in localio-fsal liblocalio-client localio-preload; do
  log "$(dpkg-query -W -f='${Package} ${Version}: ${Status}' "$p")"
done
log "nfs-ganesha $(dpkg-query -W -f='${Version}' nfs-ganesha), libnfs $(pkg-config --modversion libnfs)"
log "pkg-config localio-client: $(pkg-config --cflags --libs localio-client)"
[ -f /usr/include/localio/localio_client.h ] || fail "no header"

mkdir -p /tmp/pkg /srv/data /run/ganesha
extra=""
# Ganesha >= 6.5 exits without CAP_SYS_RESOURCE unless told it may go on.
ganesha.nfsd -v 2>&1 | grep -q 'Release = V4\.' || extra="Allow_Set_Io_Flusher_Fail = true;"
cat >/tmp/pkg/ganesha.conf <<EOF
NFS_CORE_PARAM { NFS_Port = 2049; MNT_Port = 20048; Bind_addr = 127.0.0.1; Enable_UDP = false;
                 Enable_NLM = false; Enable_RQUOTA = false; Protocols = 3, 4; $extra }
NFSV4 { Graceless = true; }
LOCALIO { Max_Entries = 65536; }  # the map: /run/localio/<host>-2049.map
EXPORT {
    Export_Id = 10; Path = /srv/data; Pseudo = /data;
    Access_Type = RW; Squash = No_Root_Squash; Protocols = 3, 4; SecType = sys;
    FSAL { Name = LOCALIO; FSAL { Name = VFS; } }
}
EOF
ganesha_pid=""
rpcbind -f -w &
rpcbind_pid=$!
trap 'kill $ganesha_pid $rpcbind_pid 2>/dev/null || true; wait 2>/dev/null || true' EXIT
# Backgrounded, rpcbind may not listen yet: the FSAL's SET of 400122 would
# then be refused (the image's `rpcbind -w` returns once it listens).
for _ in $(seq 50); do
  rpcinfo -p 127.0.0.1 >/dev/null 2>&1 && break
  sleep 0.1
done
rpcinfo -p 127.0.0.1 >/dev/null 2>&1 || fail "rpcbind does not answer"
ganesha.nfsd -F -L /tmp/pkg/ganesha.log -f /tmp/pkg/ganesha.conf -p /tmp/pkg/ganesha.pid &
ganesha_pid=$!

for _ in $(seq 100); do
  nfs-ls "nfs://127.0.0.1/srv/data?nfsport=2049&mountport=20048" >/dev/null 2>&1 && break
  kill -0 "$ganesha_pid" 2>/dev/null || fail "ganesha.nfsd exited"
  sleep 0.2
done
nfs-ls "nfs://127.0.0.1/srv/data?nfsport=2049&mountport=20048" >/dev/null || fail "the export does not answer"
grep -q 'LOCALIO: FSAL loaded and initialised' /tmp/pkg/ganesha.log || fail "no 'FSAL loaded' in the log"
grep -q 'LOCALIO: export 10 (/srv/data) stacked over VFS' /tmp/pkg/ganesha.log || fail "export not stacked"
log "log: $(grep -o 'LOCALIO: export 10.*' /tmp/pkg/ganesha.log | head -n 1)"
rpcinfo -p 127.0.0.1 | grep -qE '^ +400122 +1 +tcp' || fail "rpcinfo does not list 400122"
log "rpcinfo: $(rpcinfo -p 127.0.0.1 | grep -E '^ +400122' | tr -s ' ')"
# The shim and localio-stat find the map in the default directory: the server's.
localio-stat | grep -q '/srv/data' || fail "localio-stat does not show the export"

lo() { echo $(( $(cat /sys/class/net/lo/statistics/rx_bytes) + $(cat /sys/class/net/lo/statistics/tx_bytes) )); }
shim=/usr/lib/x86_64-linux-gnu/liblocalio_preload.so
head -c $((64 << 20)) /dev/urandom >/tmp/pkg/in.bin
for v in 3 4; do
  if [ $v = 3 ]; then url="nfs://127.0.0.1/srv/data/f$v.bin?nfsport=2049&mountport=20048"
  else url="nfs://127.0.0.1/data/f$v.bin?version=4&nfsport=2049"; fi
  before=$(lo)
  LD_PRELOAD=$shim nfs-cp /tmp/pkg/in.bin "$url" >/dev/null \
    || fail "nfs-cp into the export, v$v"
  LD_PRELOAD=$shim nfs-cp "$url" /tmp/pkg/out.bin >/dev/null \
    || fail "nfs-cp out of the export, v$v"
  moved=$(( $(lo) - before ))
  cmp -s /tmp/pkg/in.bin /tmp/pkg/out.bin || fail "v$v copy differs"
  cmp -s /tmp/pkg/in.bin /srv/data/f$v.bin || fail "v$v file in the export differs"
  [ "$moved" -lt $(( (128 << 20) / 100 )) ] || fail "v$v: $moved bytes on loopback for 128 MiB of copies"
  log "NFSv$v: 64 MiB in and out under the packaged shim, identical, $moved bytes on loopback"
  rm -f /tmp/pkg/out.bin
done
log "$release: packages ok"
