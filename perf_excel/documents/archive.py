"""Writing a .docx zip from members already compressed, so that members no render changes are
compressed once for thousands of letters."""

from __future__ import annotations

import struct
import zlib

__all__ = ["ZipEntry"]


class ZipEntry:
    """One zip member, compressed: the bytes of its local header and data, and its central record."""

    __slots__ = ("name", "crc", "size", "csize", "method", "data")

    @classmethod
    def make(cls, name: str, blob: bytes, compress: bool = True, level: int = 6) -> ZipEntry:
        e = cls()
        e.name = name.encode("utf-8")
        e.crc = zlib.crc32(blob)
        e.size = len(blob)
        if compress:
            c = zlib.compressobj(level, zlib.DEFLATED, -15)
            e.data = c.compress(blob) + c.flush()
            e.method = 8
        else:
            e.data, e.method = blob, 0
        e.csize = len(e.data)
        return e

    @staticmethod
    def archive(entries: list[ZipEntry]) -> bytes:
        # A fixed timestamp (1980-01-01): the output does not depend on when it was written.
        dos_time, dos_date = 0, (0 << 9) | (1 << 5) | 1
        out = bytearray()
        central = bytearray()
        for e in entries:
            offset = len(out)
            # The fields the local header and the central record share, from the flags (names are
            # UTF-8) to the name's length.
            common = struct.pack("<HHHHIIIH", 0x800, e.method, dos_time, dos_date, e.crc, e.csize, e.size, len(e.name))
            out += struct.pack("<IH", 0x04034B50, 20) + common + b"\0\0"  # no extra field
            out += e.name
            out += e.data
            # Made by and needed: version 2.0; no extra field, comment, disk, attributes.
            central += struct.pack("<IHH", 0x02014B50, 20, 20) + common + struct.pack("<HHHHII", 0, 0, 0, 0, 0, offset)
            central += e.name
        start = len(out)
        out += central
        out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), start, 0)
        return bytes(out)
