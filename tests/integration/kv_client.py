#!/usr/bin/env python3
"""Clients for tests/integration/kv.sh that nc cannot be.

kv_client.py bytewise HOST PORT DELAY < requests   one byte per TCP segment (TCP_NODELAY and
    a pause of DELAY s after each byte); prints the answers once as many lines came back as
    were sent, or fails after 30 s.
kv_client.py time HOST PORT    one RFC 868 request over UDP; prints service time - host time (s).
"""
import socket
import struct
import sys
import time

RFC868_OFFSET = 2208988800


def bytewise(host, port, delay):
    data = sys.stdin.buffer.read()
    want_lines = data.count(b"\n")
    s = socket.create_connection((host, port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for i in range(len(data)):
        s.sendall(data[i:i + 1])
        time.sleep(delay)
    got = b""
    end = time.monotonic() + 30
    while got.count(b"\n") < want_lines and time.monotonic() < end:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    s.close()
    sys.stdout.buffer.write(got)
    return 0 if got.count(b"\n") == want_lines else 1


def rfc868(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    for _ in range(5):  # UDP: a lost datagram is asked again, 5 times at most
        s.sendto(b"", (host, port))
        try:
            data, _ = s.recvfrom(16)
        except socket.timeout:
            continue
        now = time.time()
        if len(data) != 4:
            print(f"answer of {len(data)} bytes", file=sys.stderr)
            return 1
        (t,) = struct.unpack("!I", data)
        print(f"{t - RFC868_OFFSET - now:.1f}")
        return 0
    return 1


def main():
    if sys.argv[1] == "bytewise":
        return bytewise(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    if sys.argv[1] == "time":
        return rfc868(sys.argv[2], int(sys.argv[3]))
    return 2


if __name__ == "__main__":
    sys.exit(main())
