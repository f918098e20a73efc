"""What the holder is shown of a fax: a PDF of it and a PNG of its first page.

A TIFF becomes a PDF through img2pdf, which wraps each page's CCITT G3/G4 (or other)
data as it is: no pixel is decoded or changed. A PDF received is passed through.
Both are written to `out`, a file the caller stores in chunks.
"""

from typing import IO

import img2pdf
import pypdfium2 as pdfium
from PIL import Image

from faxnum.domain.faxes import FaxFormat

PREVIEW_WIDTH = 800  # pixels: a thumbnail on a page, readable when opened alone


def as_pdf(original: IO[bytes], kind: FaxFormat, out: IO[bytes]) -> None:
    original.seek(0)
    if kind is FaxFormat.PDF:
        while block := original.read(1024 * 1024):
            out.write(block)
        return
    try:
        img2pdf.convert(original, outputstream=out, rotation=img2pdf.Rotation.ifvalid)
    except (img2pdf.ImageOpenError, img2pdf.AlphaChannelError, ValueError, OSError):
        # A TIFF img2pdf cannot wrap as it is (an unusual photometric or layout):
        # decoded and written page by page instead.
        out.seek(0)
        out.truncate()
        original.seek(0)
        _pages_through_pillow(original, out)


def _pages_through_pillow(original: IO[bytes], out: IO[bytes]) -> None:
    with Image.open(original, formats=["TIFF"]) as image:
        first = image.convert("1") if image.mode != "1" else image.copy()
        rest = []
        for index in range(1, getattr(image, "n_frames", 1)):
            image.seek(index)
            rest.append(image.convert("1"))
        first.save(out, format="PDF", save_all=True, append_images=rest, resolution=200.0)


def preview_png(original: IO[bytes], kind: FaxFormat, out: IO[bytes]) -> None:
    original.seek(0)
    if kind is FaxFormat.PDF:
        document = pdfium.PdfDocument(original)
        try:
            page = document[0]
            width, _ = page.get_size()
            bitmap = page.render(scale=PREVIEW_WIDTH / width, grayscale=True)
            image = bitmap.to_pil()
        finally:
            document.close()
    else:
        with Image.open(original, formats=["TIFF"]) as tiff:
            tiff.seek(0)
            # Fax pages are often 204x98 dpi: stretched to square pixels, as printed.
            x_dpi, y_dpi = _dpi(tiff)
            image = tiff.convert("L")
            height = image.height * (x_dpi / y_dpi) if y_dpi else image.height
            image = image.resize((image.width, max(1, round(height))))
    image.thumbnail((PREVIEW_WIDTH, PREVIEW_WIDTH * 4), Image.Resampling.LANCZOS)
    image.save(out, format="PNG", optimize=True)


def _dpi(tiff: Image.Image) -> tuple[float, float]:
    dpi = tiff.info.get("dpi")
    if isinstance(dpi, tuple) and len(dpi) == 2 and dpi[0] > 0 and dpi[1] > 0:
        return float(dpi[0]), float(dpi[1])
    return 1.0, 1.0
