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


def tiff_claiming(
    width: int, height: int, compression: int = 4, data: bytes = b"\x00" * 16, claimed: int = 16
) -> bytes:
    """A TIFF written by hand whose header claims a `width` x `height` bilevel page
    (`compression` 4: CCITT G4, 1: none) of `claimed` bytes, followed by `data`: a
    decoder that believed the header would allocate width*height/8 bytes, or read
    past the data's end."""
    entries = [
        (256, 4, 1, width),  # ImageWidth, LONG
        (257, 4, 1, height),  # ImageLength
        (258, 3, 1, 1),  # BitsPerSample
        (259, 3, 1, compression),
        (262, 3, 1, 0),  # Photometric: white is zero
        (273, 4, 1, 8 + 2 + 9 * 12 + 4),  # StripOffsets: after the directory
        (277, 3, 1, 1),  # SamplesPerPixel
        (278, 4, 1, height),  # RowsPerStrip
        (279, 4, 1, claimed),  # StripByteCounts
    ]
    directory = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        packed = struct.pack("<I", value) if kind == 4 else struct.pack("<HH", value, 0)
        directory += struct.pack("<HHI", tag, kind, count) + packed
    directory += struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", 8) + directory + data


def content_g4_tiff(pages: int) -> bytes:
    """Pages with enough on them that cutting the file's end cuts into page data and
    directories, as a dropped line does."""
    made = []
    for n in range(pages):
        page = _page(n + 1)
        draw = ImageDraw.Draw(page)
        for y in range(0, FINE_LINES, 7):
            draw.line((0, y, FAX_WIDTH, (y * 13) % FINE_LINES), fill=0)
        made.append(page)
    out = io.BytesIO()
    made[0].save(out, format="TIFF", compression="group4", save_all=True, append_images=made[1:])
    return out.getvalue()


def thin_pdf(width_points: float, height_points: float) -> bytes:
    """One blank page of a hostile shape (a renderer scaling it to a width believes
    it is hundreds of thousands of pixels tall)."""
    import pikepdf

    document = pikepdf.new()
    page = document.add_blank_page()
    page.obj.MediaBox = pikepdf.Array([0, 0, width_points, height_points])
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def tiff_with(dpi: tuple[float, float] = (204, 196), mode: str = "1", pages: int = 1) -> bytes:
    """A TIFF with one unusual property: its resolutions or its sample depth."""
    made = []
    for n in range(pages):
        page = _page(n + 1, 400, 500)
        made.append(page.convert("L").convert("I;16") if mode == "I;16" else page.convert(mode))
    out = io.BytesIO()
    made[0].save(
        out,
        format="TIFF",
        compression="group4" if mode == "1" else "raw",
        save_all=True,
        append_images=made[1:],
        dpi=dpi,
    )
    return out.getvalue()


def cut_off_page() -> bytes:
    """A whole uncompressed fax page promised, 10 bytes of it sent."""
    return tiff_claiming(FAX_WIDTH, FINE_LINES, 1, b"\xff" * 10, FAX_WIDTH // 8 * FINE_LINES)
