#!/usr/bin/env python3
"""Debian's avahi-daemon (the mDNS/DNS-SD responder of Linux-based cameras) inside one lab host,
publishing the static services given, for camscan's mDNS lab tests. Standard library only.

    python3 avahi_device.py [--ipv6] HOSTNAME SERVICE_FILE...

--ipv6   also run mDNS over IPv6 (`use-ipv6=yes`: the daemon joins FF02::FB and publishes the host's
         AAAA records), for tests/ipv6.rs's IPv6-only camera.

Runs inside a host namespace of tests/lab/lab.sh (`ip netns exec PREFIX-hN ...`). avahi-daemon is
started unchanged, with its own configuration (host name HOSTNAME, IPv4 only, eth0 only, no D-Bus,
no wide-area) in a private mount namespace (`unshare --mount`), where a tmpfs over /run holds its
pid file and socket and a temporary directory is bound over /etc/avahi/services: the machine's own
/run/avahi-daemon and /etc/avahi/services are never touched, so several labs (and a host daemon) do
not see each other. The daemon dies with this script (PR_SET_PDEATHSIG), and lab.sh's teardown
kills every process in the namespace anyway.

stdout contract: `READY` once the daemon says every service is established. Exits when stdin
reaches EOF or the daemon exits.
"""

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

PR_SET_PDEATHSIG = 1


def main():
    args = sys.argv[1:]
    ipv6 = bool(args) and args[0] == "--ipv6"
    if ipv6:
        args = args[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    hostname, files = args[0], args[1:]
    work = tempfile.mkdtemp(prefix="camscan-avahi-")
    services = os.path.join(work, "services")
    os.mkdir(services)
    for f in files:
        shutil.copy(f, services)
    conf = os.path.join(work, "avahi-daemon.conf")
    with open(conf, "w") as c:
        c.write(
            f"""[server]
host-name={hostname}
use-ipv4=yes
use-ipv6={"yes" if ipv6 else "no"}
allow-interfaces=eth0
enable-dbus=no
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
"""
        )
    inner = (
        "mount -t tmpfs tmpfs /run && mkdir -p /run/avahi-daemon && "
        f"mount --bind {services} /etc/avahi/services && "
        f"exec avahi-daemon -f {conf} --no-drop-root --no-chroot --no-rlimits --no-proc-title"
    )
    libc = ctypes.CDLL(None, use_errno=True)

    def die_with_parent():
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)

    daemon = subprocess.Popen(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", inner],
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=die_with_parent,
    )

    def watch():
        established = 0
        for line in daemon.stderr:
            sys.stderr.write("avahi: " + line)
            if "successfully established" in line:
                established += 1
                # One line per <service-group> file.
                if established == len(files):
                    print("READY", flush=True)

    threading.Thread(target=watch, daemon=True).start()

    def stop(*_):
        daemon.kill()
        daemon.wait()
        shutil.rmtree(work, ignore_errors=True)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    threading.Thread(target=lambda: (sys.stdin.read(), stop()), daemon=True).start()
    daemon.wait()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
