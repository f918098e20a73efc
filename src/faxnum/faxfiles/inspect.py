"""What a received file is, checked before anything of it is decoded: its kind from its
first bytes, its page count and page sizes from its structure (TIFF directories, the
PDF page tree), its size and digest in one pass over it. A header that claims a page
too large to hold in memory is refused from the header."""

import hashlib
import warnings
from typing import IO

import pypdfium2 as pdfium
from PIL import Image

from faxnum.domain.errors import DomainError, Invalid, TooLarge
from faxnum.domain.faxes import FaxFormat, FaxLimits, InspectedFile

READ_SIZE = 1024 * 1024
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*")
_PDF_MAGIC = b"%PDF-"
_POINTS_PER_INCH = 72
FAX_DPI = 200  # how the pixel limit reads a PDF page: as a fax machine would print it


def inspect(file: IO[bytes], limits: FaxLimits) -> InspectedFile:
    """The checked facts of `file` (read from its start; left at its end), or
    Invalid (not a fax file) or TooLarge (past a limit)."""
    size, digest = _size_and_digest(file, limits.max_bytes)
    if size == 0:
        raise Invalid.field("file", "is empty")
    file.seek(0)
    head = file.read(1024)
    file.seek(0)
    if head[:4] in _TIFF_MAGIC:
        kind, pages = FaxFormat.TIFF, _tiff_pages(file, limits)
    elif head.startswith(_PDF_MAGIC):
        kind, pages = FaxFormat.PDF, _pdf_pages(file, limits)
    else:
        raise Invalid.field("file", "is neither a TIFF nor a PDF")
    file.seek(0, 2)
    return InspectedFile(format=kind, pages=pages, size=size, sha256=digest)


def _size_and_digest(file: IO[bytes], max_bytes: int) -> tuple[int, str]:
    file.seek(0)
    digest, size = hashlib.sha256(), 0
    while block := file.read(READ_SIZE):
        size += len(block)
        if size > max_bytes:
            raise TooLarge(f"The file is larger than {max_bytes} bytes.")
        digest.update(block)
    return size, digest.hexdigest()


def _tiff_pages(file: IO[bytes], limits: FaxLimits) -> int:
    """Walks the image directories only: Pillow reads a frame's pixels when asked for
    them, never on `seek`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # a damaged tag: judged below
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(file, formats=["TIFF"])
            pages = 0
            while True:
                width, height = image.size
                if width <= 0 or height <= 0:
                    raise Invalid.field("file", f"page {pages + 1} has no pixels")
                if width * height > limits.max_pixels:
                    raise TooLarge(
                        f"Page {pages + 1} is {width}x{height} pixels; at most "
                        f"{limits.max_pixels} pixels a page are taken."
                    )
                pages += 1
                if pages > limits.max_pages:
                    raise TooLarge(f"The fax has more than {limits.max_pages} pages.")
                try:
                    image.seek(pages)
                except EOFError:
                    return pages
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as bomb:
        raise TooLarge(
            f"A page claims more pixels than faxnum takes ({limits.max_pixels} a page)."
        ) from bomb
    except DomainError:
        raise
    except Exception as error:  # Pillow on a damaged directory raises all kinds
        raise Invalid.field("file", f"is not a readable TIFF ({type(error).__name__})") from None


def _pdf_pages(file: IO[bytes], limits: FaxLimits) -> int:
    try:
        document = pdfium.PdfDocument(file)
    except Exception as error:  # PDFium's reason (a password, a damaged file)
        raise Invalid.field("file", f"is not a readable PDF ({error})") from None
    try:
        pages = len(document)
        if pages == 0:
            raise Invalid.field("file", "has no pages")
        if pages > limits.max_pages:
            raise TooLarge(f"The fax has more than {limits.max_pages} pages.")
        for index in range(pages):
            width, height = document.get_page_size(index)
            pixels = (width / _POINTS_PER_INCH * FAX_DPI) * (height / _POINTS_PER_INCH * FAX_DPI)
            if not pixels > 0:
                raise Invalid.field("file", f"page {index + 1} has no area")
            if pixels > limits.max_pixels:
                raise TooLarge(
                    f"Page {index + 1} is {width:.0f}x{height:.0f} points, past "
                    f"{limits.max_pixels} pixels at {FAX_DPI} dpi."
                )
        return pages
    except DomainError:
        raise
    except Exception as error:
        raise Invalid.field("file", f"is not a readable PDF ({error})") from None
    finally:
        document.close()
