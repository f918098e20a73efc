"""Fax files for tests, made the way fax software makes them: bilevel pages at fax
resolution, CCITT Group 4 in a multi-page TIFF, or a PDF; and hostile ones."""

import io
import struct

from PIL import Image, ImageDraw

FAX_WIDTH = 1728  # pixels across an A4/Letter fax line
FINE_LINES = 2200


def _page(number: int, width: int = FAX_WIDTH, height: int = FINE_LINES) -> Image.Image:
    page = Image.new("1", (width, height), 1)
    draw = ImageDraw.Draw(page)
    draw.rectangle((100, 100, width - 100, 300), outline=0, width=5)
    draw.text((150, 180), f"faxnum test page {number}", fill=0)
    for line in range(20):
        y = 400 + line * 60
        draw.line((150, y, width - 150 - line * 30, y), fill=0, width=3)
    return page


def g4_tiff(pages: int = 2) -> bytes:
    made = [_page(n + 1) for n in range(pages)]
    out = io.BytesIO()
    made[0].save(
        out,
        format="TIFF",
        compression="group4",
        save_all=True,
        append_images=made[1:],
        dpi=(204, 196),
    )
    return out.getvalue()


def pdf(pages: int = 3) -> bytes:
    made = [_page(n + 1).convert("L") for n in range(pages)]
    out = io.BytesIO()
    made[0].save(out, format="PDF", save_all=True, append_images=made[1:], resolution=200.0)
    return out.getvalue()


def tiff_claiming(width: int, height: int) -> bytes:
    """A few hundred bytes whose header claims a `width` x `height` bilevel page:
    a decoder that believed it would allocate width*height/8 bytes."""
    entries = [
        (256, 4, 1, width),  # ImageWidth, LONG
        (257, 4, 1, height),  # ImageLength
        (258, 3, 1, 1),  # BitsPerSample
        (259, 3, 1, 4),  # Compression: CCITT G4
        (262, 3, 1, 0),  # Photometric: white is zero
        (273, 4, 1, 8 + 2 + 9 * 12 + 4),  # StripOffsets: after the directory
        (277, 3, 1, 1),  # SamplesPerPixel
        (278, 4, 1, height),  # RowsPerStrip
        (279, 4, 1, 16),  # StripByteCounts
    ]
    directory = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        packed = struct.pack("<I", value) if kind == 4 else struct.pack("<HH", value, 0)
        directory += struct.pack("<HHI", tag, kind, count) + packed
    directory += struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", 8) + directory + b"\x00" * 16
