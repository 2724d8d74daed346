#!/usr/bin/env python3
"""DNS-over-TCP clients for tests/integration/dns_tcp.sh that dig cannot be (RFC 7766 framing).

dns_tcp_client.py pipeline HOST N     N queries host<i>.example. A in one write, a frame of
    length 0 among them, one more query sent a byte per segment, then a frame whose length is
    longer than what follows and a FIN: N + 1 answers in order, then the server closes.
dns_tcp_client.py backpressure HOST N N queries written by a thread while the client reads
    nothing for 1 s (its receive buffer 4 KiB): then all N answers arrive, in order.
dns_tcp_client.py idle HOST SECONDS   a connection that sends nothing is closed by the server
    after about SECONDS; prints the time it took.
dns_tcp_client.py limit HOST M        M connections each answered, one more is reset.
Each prints one line on success; failures exit 1 with the reason. Every wait is bounded.
"""
import socket
import struct
import sys
import threading
import time

SYNTH_BASE = 0x0A800000  # 10.128.0.0


def query(qid, name, qtype=1):
    wire = b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split(".")) + b"\0"
    return struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0) + wire + struct.pack(">HH", qtype, 1)


def frame(msg):
    return struct.pack(">H", len(msg)) + msg


def skip_name(msg, pos):
    while True:
        n = msg[pos]
        if n == 0:
            return pos + 1
        if n & 0xC0 == 0xC0:
            return pos + 2
        pos += 1 + n


def first_a(msg):
    """(id, rcode, the first answer's A address as an int or None)."""
    qid, flags, qd, an = struct.unpack(">HHHH", msg[:8])
    pos = 12
    for _ in range(qd):
        pos = skip_name(msg, pos) + 4
    if an == 0:
        return qid, flags & 15, None
    pos = skip_name(msg, pos)
    rtype, _, _, rdlen = struct.unpack(">HHIH", msg[pos:pos + 10])
    if rtype != 1 or rdlen != 4:
        return qid, flags & 15, None
    return qid, flags & 15, struct.unpack(">I", msg[pos + 10:pos + 14])[0]


class Reader:
    def __init__(self, sock, limit):
        self.sock, self.buf, self.end = sock, b"", time.monotonic() + limit

    def message(self):
        """The next framed message, or None at EOF; fails after the time limit."""
        while True:
            if len(self.buf) >= 2:
                n = struct.unpack(">H", self.buf[:2])[0]
                if len(self.buf) >= 2 + n:
                    msg, self.buf = self.buf[2:2 + n], self.buf[2 + n:]
                    return msg
            left = self.end - time.monotonic()
            if left <= 0:
                fail("timed out waiting for an answer")
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def expect_answer(reader, qid, i):
    msg = reader.message()
    if msg is None:
        fail("connection closed before answer %d" % qid)
    got_id, rcode, addr = first_a(msg)
    if got_id != qid or rcode != 0 or addr != SYNTH_BASE + i:
        fail("answer %d: id %d rcode %d addr %s" % (qid, got_id, rcode, addr))


def pipeline(host, n):
    s = socket.create_connection((host, 53), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    burst = b""
    for i in range(n):
        burst += frame(query(i, "host%d.example." % i))
        if i == n // 2:
            burst += b"\0\0"  # a frame of length 0: skipped, no answer
    s.sendall(burst)
    last = frame(query(n, "host%d.example." % n))
    for k in range(len(last)):  # one byte per segment, the length itself split
        s.sendall(last[k:k + 1])
        time.sleep(0.01)
    r = Reader(s, 30)
    for i in range(n + 1):
        expect_answer(r, i, i)
    s.sendall(struct.pack(">H", 500) + query(9999, "host1.example.")[:10])
    s.shutdown(socket.SHUT_WR)
    if r.message() is not None:
        fail("an answer to a frame cut short")
    print("pipeline: %d answers in order, length 0 skipped, split query answered, "
          "short frame closed" % (n + 1))


def backpressure(host, n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(30)
    s.connect((host, 53))
    data = b"".join(frame(query(i & 0xFFFF, "host%d.example." % i)) for i in range(n))
    sender = threading.Thread(target=s.sendall, args=(data,), daemon=True)
    sender.start()
    time.sleep(1)
    r = Reader(s, 60)
    for i in range(n):
        msg = r.message()
        if msg is None:
            fail("closed after %d of %d answers" % (i, n))
        got_id, rcode, addr = first_a(msg)
        if got_id != i & 0xFFFF or addr != SYNTH_BASE + i:
            fail("answer %d out of order or wrong (id %d addr %s)" % (i, got_id, addr))
    sender.join(5)
    print("backpressure: %d answers (%d bytes of queries) in order after a 1 s stall"
          % (n, len(data)))


def idle(host, seconds):
    s = socket.create_connection((host, 53), timeout=10)
    start = time.monotonic()
    s.settimeout(seconds + 20)
    try:
        data = s.recv(100)
    except socket.timeout:
        fail("not closed within %d s" % (seconds + 20))
    took = time.monotonic() - start
    if data != b"" or took < seconds - 1:
        fail("closed after %.1f s with %r" % (took, data))
    print("idle: closed by the server after %.1f s" % took)


def limit(host, m):
    conns = []
    for i in range(m):
        s = socket.create_connection((host, 53), timeout=10)
        s.sendall(frame(query(i, "host%d.example." % i)))
        expect_answer(Reader(s, 20), i, i)
        conns.append(s)
    try:
        extra = socket.create_connection((host, 53), timeout=10)
        extra.sendall(frame(query(7, "host7.example.")))
        msg = Reader(extra, 10).message()
    except (ConnectionResetError, BrokenPipeError):
        msg = None
    if msg is not None:
        fail("connection %d beyond the limit was answered" % (m + 1))
    for s in conns:
        s.close()
    print("limit: %d connections answered, one more refused" % m)


def main():
    cmd, host, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    {"pipeline": pipeline, "backpressure": backpressure, "idle": idle, "limit": limit}[cmd](host, n)


if __name__ == "__main__":
    main()
