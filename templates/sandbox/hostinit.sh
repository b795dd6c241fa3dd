#!/bin/bash
# PID 1's parent inside a sandbox host: new PID, mount and UTS namespaces, joined to the
# host's own network namespace. Gives the host its own hostname, /proc, /sys, copy-on-write
# /etc /var /usr /opt /home /srv, a fresh /root, a private /run, then runs sshd under tini.
# Everything mounted here lives in this mount namespace and vanishes with its last process.
# usage: hostinit.sh HOSTNAME HOSTDIR SANDBOXDIR [CGROUPNAME]
set -euo pipefail
H=$1; D=$2; SB=$3
hostname "$H"
mount -t proc proc /proc
mkdir -p "$D/cgsave"
mount --move /sys/fs/cgroup "$D/cgsave"            # keep the cgroup mount (dockerd needs it)
mount -t sysfs sysfs /sys                          # /sys/class/net of this host's netns
mount --move "$D/cgsave" /sys/fs/cgroup
for dir in /etc /var /usr /opt /home /srv; do
  [ -d "$dir" ] || continue
  n=$(echo "$dir" | tr / _)
  mkdir -p "$D/ov/$n.up" "$D/ov/$n.wk"
  mount -t overlay overlay -o "lowerdir=$dir,upperdir=$D/ov/$n.up,workdir=$D/ov/$n.wk" "$dir"
done
mkdir -p "$D/root"
[ -e "$D/root/.profile" ] || cp -a /etc/skel/. "$D/root/"
mount --bind "$D/root" /root                       # a fresh home: the machine's own .bashrc may be slow
umount -R -l /run/netns 2>/dev/null || true         # drop the outer machine's netns handles
mount -t tmpfs -o mode=755 tmpfs /run               # private /run (= /var/run): sockets, netns names
mkdir -p /run/sshd /run/netns /run/lock /run/lab-sandbox
mkdir -p "$D/docker" /var/lib/docker
mount --bind "$D/docker" /var/lib/docker
echo "$D" > /run/lab-sandbox/dir
echo "${4:-$H}" > /run/lab-sandbox/cgroup          # unique name for the cgroup dockerd uses
mount --bind "$(dirname "$0")/sbin" /usr/local/sbin # systemctl and dockerd stand-ins
echo "$H" > /etc/hostname
printf '127.0.0.1 localhost\n127.0.1.1 %s\n' "$H" > /etc/hosts
rm -f /etc/ssh/ssh_host_*
ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
cp /etc/ssh/ssh_host_ed25519_key.pub "$D/host_key.pub"
install -m 600 "$SB/authorized_keys" /etc/ssh/lab_authorized_keys
cat > /etc/ssh/sshd_config <<CFG
Port 22
ListenAddress 0.0.0.0
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication ${LAB_SANDBOX_PASSWORD_AUTH:-no}
KbdInteractiveAuthentication no
AuthorizedKeysFile /etc/ssh/lab_authorized_keys .ssh/authorized_keys
UsePAM no
UseDNS no
PrintMotd no
PidFile /run/sshd.pid
MaxSessions 10
MaxStartups 100:30:200
Subsystem sftp /usr/lib/openssh/sftp-server
CFG
exec /usr/bin/tini -s -- /usr/sbin/sshd -D -e
