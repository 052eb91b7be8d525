"""The bundled portals' pictures and attachments: small real files, different for each URL."""
from __future__ import annotations

import struct
import zlib
from importlib import resources

# A 240×135 JPEG (a landscape drawn by Chromium); each URL gets its own copy, told apart by
# a JPEG comment naming its path, so an archive can be checked byte for byte and no two
# articles' pictures deduplicate by accident.
_PHOTO = resources.files("newscrawl.replica").joinpath("static/photo.jpg").read_bytes()


def image(path: str) -> tuple[str, bytes]:
    """(content type, bytes) of the picture at ``path``: a JPEG, or a PNG for ``.png``."""
    if path.lower().endswith(".png"):
        return "image/png", _png(path)
    comment = f"bundled portal {path}".encode()
    # SOI, then a COM segment (FF FE, length including itself), then the rest of the file.
    return "image/jpeg", _PHOTO[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + _PHOTO[2:]


def _png(path: str, width: int = 120, height: int = 40) -> bytes:
    """A one-colour PNG whose colour comes from ``path``."""
    shade = zlib.crc32(path.encode())
    pixel = bytes([shade & 0xFF, (shade >> 8) & 0xFF, (shade >> 16) & 0xFF])
    raw = b"".join(b"\x00" + pixel * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def attachment(name: str) -> bytes:
    """A one-page PDF saying which attachment it is."""
    text = f"(Bundled portal attachment {name})".replace("\\", "").encode("latin-1", "replace")
    stream = b"BT /F1 12 Tf 36 100 Td " + text + b" Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
