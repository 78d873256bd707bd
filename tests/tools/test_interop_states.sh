#!/bin/sh
# TCP states as Linux's `ss -tan` and `synack stat` show them, with Linux
# (python3 sockets) talking to `synack serve http` over a TAP device:
#   - handshake: SYN-SENT on Linux while synack is stopped (SIGSTOP), then
#     ESTAB on both sides once it runs again;
#   - Linux closes first: Linux ends in TIME-WAIT, synack keeps nothing;
#   - synack closes first ("Connection: close"): Linux sits in CLOSE-WAIT
#     while synack holds its half-closed socket (FIN-WAIT-2); when Linux
#     closes, synack is in TIME-WAIT and Linux keeps nothing.
set -eu
. "$(dirname "$0")/interop_lib.sh"
interop_init "$@" python3 ss
tap_ns states
mkdir "$WORK/www"
echo hello >"$WORK/www/index.html"
start_synack "$NS" serve serve --tap tap0 --ip "$SYNACK_IP/24" http "$WORK/www"
# shellcheck disable=SC2154
in_ns "$NS" python3 - "$SYNACK" "$WORK/serve.ctl" "$PID_serve" "$SYNACK_IP" <<'PY' ||
import os, signal, socket, subprocess, sys, time

synack, ctl, pid, ip = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
peer = ip + ":80"

def linux_state(port):
    out = subprocess.run(["ss", "-Htan"], capture_output=True, text=True).stdout
    for row in out.splitlines():
        f = row.split()
        if len(f) >= 5 and f[4] == peer and f[3].endswith(":%d" % port):
            return f[0]
    return "none"

def synack_state(port):
    out = subprocess.run([synack, "stat", "--control", ctl, "--connections"],
                         capture_output=True, text=True).stdout
    for row in out.splitlines():
        f = row.split()
        if len(f) >= 5 and f[4].endswith(":%d" % port):
            return f[0]
    return "none"

def expect(what, fn, port, want):
    seen = None
    for _ in range(250):
        seen = fn(port)
        if seen == want:
            print("  %s: %s" % (what, want))
            return
        time.sleep(0.02)
    print("FAIL: %s: expected %s, saw %s" % (what, want, seen))
    sys.exit(1)

def request(s, close):
    hdr = "Connection: close\r\n" if close else ""
    s.sendall(("GET / HTTP/1.1\r\nHost: %s\r\n%s\r\n" % (ip, hdr)).encode())

def response(s):
    """Read one whole response (closing with unread data would reset)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(4096)
    head, body = data.split(b"\r\n\r\n", 1)
    length = [int(l.split(b":")[1]) for l in head.split(b"\r\n")
              if l.lower().startswith(b"content-length:")][0]
    while len(body) < length:
        body += s.recv(4096)

# Handshake, with synack stopped: the SYN waits in the TAP device.
os.kill(pid, signal.SIGSTOP)
a = socket.socket()
a.setblocking(False)
a.connect_ex((ip, 80))
pa = a.getsockname()[1]
try:
    expect("Linux, synack stopped", linux_state, pa, "SYN-SENT")
finally:
    os.kill(pid, signal.SIGCONT)
expect("Linux, handshake done", linux_state, pa, "ESTAB")
expect("synack, handshake done", synack_state, pa, "ESTAB")

# Linux closes first.
a.setblocking(True)
request(a, close=False)
response(a)
a.close()
expect("Linux closed first: Linux", linux_state, pa, "TIME-WAIT")
expect("Linux closed first: synack", synack_state, pa, "none")

# synack closes first.
b = socket.create_connection((ip, 80), timeout=5)
pb = b.getsockname()[1]
request(b, close=True)
response(b)
while b.recv(4096):
    pass
expect("synack closed first: Linux (synack's FIN in)", linux_state, pb, "CLOSE-WAIT")
expect("synack closed first: synack half-closed", synack_state, pb, "FIN-WAIT-2")
b.close()
expect("synack closed first: synack", synack_state, pb, "TIME-WAIT")
expect("synack closed first: Linux", linux_state, pb, "none")
PY
  fail "a state was not as expected"
stop_synack serve || fail "synack serve did not exit cleanly"
echo "PASS: ss -tan and synack stat show the expected states"
