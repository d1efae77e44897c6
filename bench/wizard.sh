#!/bin/sh
# bench/wizard.sh [BUILDDIR]: the newt wizard's start-to-first-screen time
# and its peak RSS.  Targets from issue 6: under 50 ms, under 10 MB.
#
# No tmux: the wizard runs on a pseudo-terminal of 80x24 of its own, and
# the clock runs from fork to the byte that completes the first full frame
# (the help line, drawn last).  Peak RSS is the kernel's, through
# /usr/bin/time, after the first screen and F10, Quit; then a full
# text-frontend walk.  Not wait4's ru_maxrss of a child forked by this
# script: that counts the Python interpreter it was forked from (about
# 10 MB) until the exec.  libcurl, libpq and libssh are loaded on first
# use (lib/lazylib.h), so neither run maps them.
# Build without sanitizers for meaningful figures:
#   mkdir b && cd b && ../configure && make && ../bench/wizard.sh .
b=${1:-.}
bin="$(cd "$b" 2>/dev/null && pwd)/dhis2-setup"
[ -x "$bin" ] || { echo "no $b/dhis2-setup" >&2; exit 2; }
python3 - "$bin" <<'EOF'
import fcntl, os, pty, select, struct, sys, tempfile, termios, time

binary = sys.argv[1]

def run_once(keys_after=b"\x1b[21~\r", prefix=()):
    env = dict(os.environ, TERM="xterm", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    argv = list(prefix) + [binary, "wizard", "--output", "/dev/null/x"]
    t0 = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        os.chdir("/tmp")
        os.execve(argv[0], argv, env)
    buf = b""
    first = None
    while first is None:
        r, _, _ = select.select([fd], [], [], 5)
        if not r:
            break
        try:
            buf += os.read(fd, 65536)
        except OSError:
            break
        if b"Hosting model" in buf and b"F10 Quit" in buf:
            first = time.monotonic() - t0
    hwm = 0
    try:
        for l in open("/proc/%d/status" % pid):
            if l.startswith("VmHWM:"):
                hwm = int(l.split()[1])
    except OSError:
        pass
    os.write(fd, keys_after)          # F10, then Enter on "Quit"
    time.sleep(0.2)
    os.write(fd, b"\r")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                os.read(fd, 65536)
            except OSError:
                break
        p, status, ru = os.wait4(pid, os.WNOHANG)
        if p == pid:
            return first, hwm, ru.ru_maxrss, ru.ru_utime + ru.ru_stime
    os.kill(pid, 9)
    p, status, ru = os.wait4(pid, 0)
    return first, hwm, ru.ru_maxrss, ru.ru_utime + ru.ru_stime

times, rss, cpu = [], [], []
for i in range(7):
    t, hwm, maxrss, c = run_once()
    if t is None:
        print("the first screen did not appear"); sys.exit(1)
    times.append(t * 1000)
    cpu.append(c * 1000)
# The peak of the wizard's own process: /usr/bin/time forks it from a
# small program and reports its maxrss, the quit included.
with tempfile.NamedTemporaryFile("r") as out:
    for i in range(3):
        if run_once(prefix=("/usr/bin/time", "-f", "%M", "-o",
                            out.name))[0] is None:
            print("the first screen did not appear"); sys.exit(1)
        out.seek(0)
        rss.append(int(out.read().split()[-1]))
times.sort()
cpu.sort()
# Wall time depends on the machine's load; CPU time much less.
print("load average: %s" % open("/proc/loadavg").read().split()[0])
print("first screen (fork to full frame, pty 80x24, 7 runs): "
      "best %.1f ms, median %.1f ms" % (times[0], times[len(times) // 2]))
print("CPU (user+sys) for start, first screen and quit: best %.1f ms" %
      cpu[0])
print("newt peak RSS (first screen, then quit): %d KB" % max(rss))
# What the RSS is made of at the first screen: shared library pages
# (counted in every process that maps them) against our own.
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    os.execve(binary, [binary, "wizard", "--output", "/dev/null/x"],
              dict(os.environ, TERM="xterm"))
buf = b""
while b"F10 Quit" not in buf:
    r, _, _ = select.select([fd], [], [], 5)
    if not r:
        break
    buf += os.read(fd, 65536)
roll = {}
for l in open("/proc/%d/smaps_rollup" % pid):
    p = l.split()
    if p[0].endswith(":") and len(p) == 3:
        roll[p[0][:-1]] = int(p[1])
os.kill(pid, 9)
os.waitpid(pid, 0)
print("  at the first screen: Rss %d KB = shared clean %d + private %d "
      "(Pss %d KB)" % (roll.get("Rss", 0), roll.get("Shared_Clean", 0),
      roll.get("Private_Clean", 0) + roll.get("Private_Dirty", 0),
      roll.get("Pss", 0)))
EOF
printf '5\n' | /usr/bin/time -f %M -o /tmp/d2s-bench-rss.$$ "$bin" wizard \
    --frontend text >/dev/null 2>&1
echo "text frontend peak RSS: $(cat /tmp/d2s-bench-rss.$$) KB"
rm -f /tmp/d2s-bench-rss.$$
