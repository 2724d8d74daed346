#!/usr/bin/env python3
"""Send a burst of malformed Ethernet frames out of one interface (an AF_PACKET raw socket).

Used by tests/integration/malformed.sh inside a network namespace of its own: the interface is
the host side of the TAP the service under test reads, so every frame goes to that service and
nowhere else.

    malformed.py IFACE --src-mac M --dst-mac M --src-ip A --dst-ip B [--random N] [--seed S]

The hand-made cases cover truncated Ethernet/ARP/IPv4/ICMP headers, bad checksums, bogus total
and header lengths, bad options, fragments with bogus offsets, overlapping fragments and a
flood of unfinished fragment trains; then N frames made by flipping random bytes of valid ones.
Frames the kernel refuses to send (shorter than an Ethernet header, longer than the MTU) are
counted as refused. Prints one summary line; exits 1 if nothing could be sent.
"""
import argparse
import random
import socket
import struct
import sys
import time

ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
BROADCAST = b"\xff" * 6


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(":"))


def ip_bytes(text):
    return socket.inet_aton(text)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


class Frames:
    """Builders for valid headers, which the cases below then break one field at a time."""

    def __init__(self, args):
        self.src_mac = mac_bytes(args.src_mac)
        self.dst_mac = mac_bytes(args.dst_mac)
        self.src_ip = ip_bytes(args.src_ip)
        self.dst_ip = ip_bytes(args.dst_ip)

    def eth(self, ethertype, payload, dst=None):
        return (dst or self.dst_mac) + self.src_mac + struct.pack("!H", ethertype) + payload

    def arp(self, oper=1, hlen=6, plen=4, htype=1, ptype=ETH_P_IP):
        body = struct.pack("!HHBBH", htype, ptype, hlen, plen, oper)
        body += self.src_mac + self.src_ip + b"\0" * 6 + self.dst_ip
        return body

    def ip(self, payload, proto=1, ihl=5, total=None, frag=0, ident=0x1234, options=b"",
           version=4, ttl=64, csum=None):
        total = 20 + len(options) + len(payload) if total is None else total
        hdr = struct.pack("!BBHHHBBH4s4s", (version << 4) | ihl, 0, total & 0xFFFF, ident,
                          frag, ttl, proto, 0, self.src_ip, self.dst_ip) + options
        good = checksum(hdr)
        hdr = hdr[:10] + struct.pack("!H", good if csum is None else csum) + hdr[12:]
        return hdr + payload

    @staticmethod
    def echo(ident=0x4d4d, seq=1, data=b"unic-malformed-test", csum=None):
        hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
        good = checksum(hdr + data)
        return struct.pack("!BBHHH", 8, 0, good if csum is None else csum, ident, seq) + data

    def ping(self, **ip_fields):
        return self.eth(ETH_P_IP, self.ip(self.echo(), **ip_fields))


def fragment(f, ident, offset_units, data, more):
    return f.eth(ETH_P_IP, f.ip(data, ident=ident, frag=(0x2000 if more else 0) | offset_units))


def handmade(f):
    """(name, frame) pairs, each breaking one rule."""
    echo = f.echo()
    valid_arp = f.eth(ETH_P_ARP, f.arp(), dst=BROADCAST)
    valid_ip = f.ip(echo)
    big = f.echo(data=bytes(range(256)) * 8)  # 2056 bytes of ICMP: for fragment cases
    cases = [
        ("eth-empty", b""),
        ("eth-6-bytes", f.dst_mac),
        ("eth-13-bytes", f.eth(ETH_P_IP, b"")[:13]),
        ("eth-header-only-ip", f.eth(ETH_P_IP, b"")),
        ("eth-header-only-arp", f.eth(ETH_P_ARP, b"", dst=BROADCAST)),
        ("eth-unknown-type", f.eth(0x88B5, b"\0" * 46)),
        ("eth-vlan-tag-empty", f.eth(0x8100, b"")),
        ("arp-truncated-8", valid_arp[:14 + 8]),
        ("arp-truncated-27", valid_arp[:14 + 27]),
        ("arp-hlen-1", f.eth(ETH_P_ARP, f.arp(hlen=1), dst=BROADCAST)),
        ("arp-hlen-255", f.eth(ETH_P_ARP, f.arp(hlen=255), dst=BROADCAST)),
        ("arp-plen-16", f.eth(ETH_P_ARP, f.arp(plen=16), dst=BROADCAST)),
        ("arp-htype-6", f.eth(ETH_P_ARP, f.arp(htype=6), dst=BROADCAST)),
        ("arp-ptype-ipv6", f.eth(ETH_P_ARP, f.arp(ptype=0x86DD), dst=BROADCAST)),
        ("arp-oper-99", f.eth(ETH_P_ARP, f.arp(oper=99), dst=BROADCAST)),
        ("ip-truncated-1", f.eth(ETH_P_IP, valid_ip[:1])),
        ("ip-truncated-19", f.eth(ETH_P_IP, valid_ip[:19])),
        ("ip-bad-header-checksum", f.ping(csum=0xBEEF)),
        ("ip-version-6", f.ping(version=6)),
        ("ip-version-0", f.ping(version=0)),
        ("ip-ihl-0", f.ping(ihl=0)),
        ("ip-ihl-4", f.ping(ihl=4)),
        ("ip-ihl-15-short", f.ping(ihl=15)),
        ("ip-ihl-6-no-room", f.eth(ETH_P_IP, f.ip(b"", ihl=6, total=20))),
        ("ip-total-0", f.ping(total=0)),
        ("ip-total-19", f.ping(total=19)),
        ("ip-total-below-ihl", f.ping(ihl=6, options=b"\x01\x01\x01\x01", total=22)),
        ("ip-total-beyond-frame", f.ping(total=1400)),
        ("ip-total-65535", f.ping(total=65535)),
        ("ip-option-len-0", f.ping(ihl=6, options=b"\x07\x00\x00\x00")),
        ("ip-option-len-1", f.ping(ihl=6, options=b"\x07\x01\x00\x00")),
        ("ip-option-len-255", f.ping(ihl=6, options=b"\x07\xff\x00\x00")),
        ("ip-option-lsrr-bad-ptr", f.ping(ihl=7, options=b"\x83\x07\x00" + b"\x0a\0\0\x01\x00")),
        ("ip-ttl-0", f.ping(ttl=0)),
        ("icmp-bad-checksum", f.eth(ETH_P_IP, f.ip(f.echo(csum=0xBEEF)))),
        ("icmp-truncated-3", f.eth(ETH_P_IP, f.ip(echo[:3]))),
        ("icmp-empty", f.eth(ETH_P_IP, f.ip(b""))),
        ("icmp-unknown-type", f.eth(ETH_P_IP, f.ip(b"\x2a\x00\xd5\xff" + b"\0" * 4))),
        ("udp-truncated", f.eth(ETH_P_IP, f.ip(b"\x00\x35\x00", proto=17))),
        ("tcp-truncated", f.eth(ETH_P_IP, f.ip(b"\x00\x50\x00\x50", proto=6))),
        ("proto-255", f.eth(ETH_P_IP, f.ip(b"\0" * 8, proto=255))),
        ("frag-offset-max", fragment(f, 0x7001, 8191, big[:256], False)),
        ("frag-offset-max-more", fragment(f, 0x7002, 8191, big[:256], True)),
        ("frag-end-beyond-64k", fragment(f, 0x7003, 8100, big[:1200], False)),
        ("frag-more-not-multiple-of-8", fragment(f, 0x7004, 0, big[:101], True)),
        ("frag-empty-more", fragment(f, 0x7005, 0, b"", True)),
        ("frag-empty-last", fragment(f, 0x7005, 10, b"", False)),
    ]
    # Overlapping fragments: a second copy of the middle with different bytes, then the rest.
    ident = 0x7010
    cases += [
        ("frag-overlap-first", fragment(f, ident, 0, big[:800], True)),
        ("frag-overlap-middle", fragment(f, ident, 64, bytes(800), True)),
        ("frag-overlap-last", fragment(f, ident, 100, big[800:], False)),
    ]
    # The same offset twice with different content, then completion.
    ident = 0x7011
    cases += [
        ("frag-dup-first-a", fragment(f, ident, 0, big[:1024], True)),
        ("frag-dup-first-b", fragment(f, ident, 0, bytes(1024), True)),
        ("frag-dup-last", fragment(f, ident, 128, big[1024:], False)),
    ]
    # A fragment overlapping an earlier one from below.
    ident = 0x7012
    cases += [
        ("frag-under-1", fragment(f, ident, 64, big[512:1024], True)),
        ("frag-under-2", fragment(f, ident, 32, big[256:768], True)),
        ("frag-under-3", fragment(f, ident, 0, big[:256], True)),
        ("frag-under-4", fragment(f, ident, 128, big[1024:], False)),
    ]
    # A last fragment that ends before data already received.
    ident = 0x7013
    cases += [
        ("frag-short-last-1", fragment(f, ident, 64, big[512:1024], True)),
        ("frag-short-last-2", fragment(f, ident, 16, big[128:256], False)),
    ]
    # Many unfinished trains: the reassembly bounds (trains, memory) must hold.
    for i in range(300):
        cases.append(("frag-flood-%d" % i, fragment(f, 0x6000 + i, 0, big[:1024], True)))
    # One train with far too many tiny fragments.
    for i in range(200):
        cases.append(("frag-tiny-%d" % i, fragment(f, 0x7020, i, big[8 * i:8 * i + 8], True)))
    # Oversized frame: the kernel refuses it beyond the MTU; counted as refused then.
    cases.append(("eth-jumbo", f.eth(ETH_P_IP, f.ip(f.echo(data=bytes(9000))))))
    return cases


def mutated(f, count, rng):
    """Valid frames with 1 to 8 random bytes changed, and random truncations."""
    seeds = [
        f.ping(),
        f.eth(ETH_P_ARP, f.arp(), dst=BROADCAST),
        fragment(f, 0x5000, 0, f.echo(data=bytes(1000))[:512], True),
        f.ping(ihl=6, options=b"\x94\x04\x00\x00"),
    ]
    # Never changed: the MACs (the frame must reach the service) and the ARP sender MAC (a
    # well-formed ARP naming another MAC for our address would legitimately redirect the
    # service's replies: that is ARP working, not a bug, and would fail the ping that follows).
    keep = set(range(12)) | set(range(22, 28))
    for i in range(count):
        frame = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 8)):
            pos = rng.randrange(12, len(frame))
            if pos not in keep:
                frame[pos] = rng.randrange(256)
        if rng.random() < 0.3:
            frame = frame[:rng.randint(14, len(frame))]
        yield ("random-%d" % i, bytes(frame))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("iface")
    parser.add_argument("--src-mac", required=True)
    parser.add_argument("--dst-mac", required=True)
    parser.add_argument("--src-ip", required=True)
    parser.add_argument("--dst-ip", required=True)
    parser.add_argument("--random", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pace", type=int, default=16,
                        help="pause 2 ms after every PACE frames, so that a slow reader (QEMU) "
                        "does not lose the burst to the TAP's queue of 1000 frames")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()

    frames = Frames(args)
    rng = random.Random(args.seed)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((args.iface, 0))
    sent = refused = 0
    for name, frame in list(handmade(frames)) + list(mutated(frames, args.random, rng)):
        if args.pace and (sent + refused) % args.pace == args.pace - 1:
            time.sleep(0.002)
        try:
            sock.send(frame)
            sent += 1
        except OSError as err:
            refused += 1
            if args.verbose:
                print("refused by the kernel: %s (%d bytes): %s" % (name, len(frame), err))
    print("malformed: sent=%d refused_by_kernel=%d" % (sent, refused))
    return 0 if sent > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
