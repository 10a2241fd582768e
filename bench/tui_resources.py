#!/usr/bin/env python3
"""Memory and idle cost of the monitor, measured on the real binary in tmux.

Builds a file of N flows by repeating a CSV's rows (header once), replays it at full speed in
`flowtop replay`, samples the process's resident memory while it runs, then, once the replay
is done, measures over an idle period the CPU time the process uses and the bytes it writes
to the terminal (tmux pipe-pane). Baseline in the same run: the RSS of the same binary showing
a 3-row file (the fixed cost of the program, its models and the terminal).

    python3 bench/tui_resources.py ../shared/datasets/cicids2017/cicids2017_cleaned_sample.csv \
        --rows 1000000 --idle 10
"""

import argparse
import os
import subprocess
import tempfile
import time

BIN = os.path.join(os.path.dirname(__file__), "..", "target", "release", "flowtop")
SOCKET = f"flowtop-bench-{os.getpid()}-0"
ENV = os.environ.get("FLOWTOP_BENCH_ENV", "")


def tmux(*args, capture=False):
    r = subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=capture, text=True)
    return r.stdout if capture else r.returncode


def screen():
    return tmux("capture-pane", "-p", capture=True)


def wait_for(text, timeout):
    start = time.time()
    while time.time() - start < timeout:
        if text in screen():
            return True
        time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {text!r}:\n{screen()}")


def status(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])  # kB
    return 0


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def build(src, rows, out):
    with open(src) as f:
        header = f.readline()
        body = f.readlines()
    with open(out, "w") as f:
        f.write(header)
        written = 0
        while written < rows:
            chunk = body[: rows - written]
            f.writelines(chunk)
            written += len(chunk)


def run(path, workdir, idle_s):
    """Replays `path`; returns (seconds, peak RSS MB, RSS MB at the end, idle CPU %, idle bytes)."""
    global SOCKET
    # A fresh tmux server per run: reusing a socket right after kill-server races.
    n = int(SOCKET.rsplit("-", 1)[1]) + 1
    SOCKET = f"flowtop-bench-{os.getpid()}-{n}"
    cfg = os.path.join(workdir, "empty.toml")
    open(cfg, "w").close()
    cmd = (
        f"cd {workdir} && {ENV} FLOWTOP_CONFIG={cfg} {os.path.abspath(BIN)} --log-file flowtop.log "
        f"replay {path} --speed max; sleep 600"
    )
    tmux("new-session", "-d", "-x", "200", "-y", "60", cmd)
    try:
        pid = None
        for _ in range(100):
            r = subprocess.run(["pgrep", "-f", f"replay {path}"], capture_output=True, text=True)
            pids = [int(p) for p in r.stdout.split() if int(p) != os.getpid()]
            # The flowtop process is the one whose executable is the binary.
            for p in pids:
                try:
                    if os.path.realpath(f"/proc/{p}/exe") == os.path.realpath(BIN):
                        pid = p
                except OSError:
                    pass
            if pid:
                break
            time.sleep(0.05)
        if not pid:
            raise SystemExit("flowtop did not start")
        start = time.time()
        peak = 0
        while "replay done" not in screen():
            peak = max(peak, status(pid, "VmRSS"))
            time.sleep(0.1)
        took = time.time() - start
        # Let the last refit finish before the idle period.
        time.sleep(3)
        end_rss = status(pid, "VmRSS")
        peak = max(peak, status(pid, "VmHWM"))
        out = os.path.join(workdir, "pane.out")
        tmux("pipe-pane", "-o", f"cat >> {out}")
        time.sleep(0.5)
        size0 = os.path.getsize(out) if os.path.exists(out) else 0
        t0 = cpu_ticks(pid)
        time.sleep(idle_s)
        t1 = cpu_ticks(pid)
        size1 = os.path.getsize(out) if os.path.exists(out) else 0
        hz = os.sysconf("SC_CLK_TCK")
        idle_cpu = 100.0 * (t1 - t0) / hz / idle_s
        tmux("send-keys", "q")
        time.sleep(0.5)
        return took, peak / 1024, end_rss / 1024, idle_cpu, size1 - size0
    finally:
        tmux("kill-server")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--idle", type=float, default=10.0)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        big = os.path.join(d, "flows.csv")
        small = os.path.join(d, "small.csv")
        build(a.csv, a.rows, big)
        build(a.csv, 3, small)
        _, base_peak, _, _, _ = run(small, d, 1.0)
        took, peak, end, idle_cpu, idle_bytes = run(big, d, a.idle)
        print(f"replayed {a.rows:,} flows at max speed in {took:.1f} s ({a.rows / took:,.0f} flows/s)")
        print(f"RSS: peak {peak:.0f} MB, after the replay {end:.0f} MB; "
              f"baseline (3 flows) {base_peak:.0f} MB -> {peak / base_peak:.1f}x")
        print(f"idle for {a.idle:.0f} s after the replay: CPU {idle_cpu:.2f} %, "
              f"{idle_bytes} bytes written to the terminal")


if __name__ == "__main__":
    main()
