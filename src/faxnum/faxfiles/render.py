"""What the holder is shown of a fax: a PDF of it and a PNG of its first page.

A TIFF becomes a PDF through img2pdf, which wraps each page's CCITT G3/G4 (or other)
data as it is: no pixel is decoded or changed. A page img2pdf cannot wrap (more than 8
bits a sample, say) is decoded and written alone, one page in memory at a time, and
the pages joined with pikepdf. A PDF received is passed through. Either is written to
`out`, a file the caller stores in chunks.

A page whose data ends early (a fax cut off mid-page) is shown as far as it goes, as a
fax machine prints it. Whatever cannot be shown at all raises `Unshowable`.
"""

import io
from typing import IO, BinaryIO, cast

import img2pdf
import pikepdf
import pypdfium2 as pdfium
from PIL import Image, ImageFile

from faxnum.domain.faxes import FaxFormat

PREVIEW_WIDTH = 800  # pixels: a thumbnail on a page, readable when opened alone
PREVIEW_MAX_HEIGHT = 4 * PREVIEW_WIDTH
MAX_STRETCH = 2.5  # fax resolutions differ across and down by at most about 2:1
_WRAPPABLE_MODES = {"1", "L", "RGB", "CMYK"}

# Faxes cut off mid-page are common (a line drops): decode what arrived.
ImageFile.LOAD_TRUNCATED_IMAGES = True


class Unshowable(Exception):
    """The file passed the checks on arrival, but cannot be decoded to be shown."""


def as_pdf(original: IO[bytes], kind: FaxFormat, out: IO[bytes]) -> None:
    original.seek(0)
    if kind is FaxFormat.PDF:
        while block := original.read(1024 * 1024):
            out.write(block)
        return
    try:
        img2pdf.convert(original, outputstream=out, rotation=img2pdf.Rotation.ifvalid)
    except Exception:  # a page img2pdf cannot wrap as it is: page by page instead
        out.seek(0)
        out.truncate()
        original.seek(0)
        try:
            _page_by_page(original, out)
        except Exception as error:  # a decoder's failure on a damaged file
            raise Unshowable(f"{type(error).__name__}: {error}") from error


def _page_by_page(original: IO[bytes], out: IO[bytes]) -> None:
    """Each page decoded alone, in a mode img2pdf wraps (8 bits at most a sample),
    made a one-page PDF, and joined: one page's pixels in memory at a time."""
    joined = pikepdf.new()
    with Image.open(original, formats=["TIFF"]) as tiff:
        for index in range(getattr(tiff, "n_frames", 1)):
            tiff.seek(index)
            page = tiff if tiff.mode in _WRAPPABLE_MODES else tiff.convert("L")
            encoded = io.BytesIO()
            page.save(encoded, format="PNG")
            single = pikepdf.open(io.BytesIO(img2pdf.convert(encoded.getvalue())))
            joined.pages.extend(single.pages)
    joined.save(cast(BinaryIO, out))


def preview_png(original: IO[bytes], kind: FaxFormat, out: IO[bytes]) -> None:
    original.seek(0)
    try:
        image = _pdf_page_one(original) if kind is FaxFormat.PDF else _tiff_page_one(original)
        image.thumbnail((PREVIEW_WIDTH, PREVIEW_MAX_HEIGHT), Image.Resampling.LANCZOS)
        image.save(out, format="PNG", optimize=True)
    except Exception as error:  # a decoder's failure on a damaged file
        raise Unshowable(f"{type(error).__name__}: {error}") from error


def _pdf_page_one(original: IO[bytes]) -> Image.Image:
    """Rendered no larger than the preview: the scale is bounded by the page's width
    and its height alike, so a page 1 point wide and a mile long costs nothing."""
    document = pdfium.PdfDocument(original)
    try:
        page = document[0]
        width, height = page.get_size()
        scale = min(PREVIEW_WIDTH / width, PREVIEW_MAX_HEIGHT / height)
        rendered: Image.Image = page.render(scale=scale, grayscale=True).to_pil()
        return rendered
    finally:
        document.close()


def _tiff_page_one(original: IO[bytes]) -> Image.Image:
    with Image.open(original, formats=["TIFF"]) as tiff:
        tiff.seek(0)
        page = tiff.convert("L")
        ratio = _dpi_ratio(tiff)
    factor = max(1, page.width // PREVIEW_WIDTH)
    if factor > 1:  # shrunk before stretched: the stretch works on a small image
        page = page.reduce(factor)
    # Fax pages are often 204x98 dpi: stretched to square pixels, as printed.
    stretch = min(max(ratio, 1 / MAX_STRETCH), MAX_STRETCH)
    height = min(PREVIEW_MAX_HEIGHT, max(1, round(page.height * stretch)))
    return page.resize((page.width, height))


def _dpi_ratio(tiff: Image.Image) -> float:
    dpi = tiff.info.get("dpi")
    if isinstance(dpi, tuple) and len(dpi) == 2 and dpi[0] > 0 and dpi[1] > 0:
        return float(dpi[0]) / float(dpi[1])
    return 1.0
