"""Fax files: what is learnt from a file's structure before anything is decoded, and
what it costs to show it, whatever its header claims."""

import io

import pytest

from faxnum.domain.errors import Invalid, TooLarge
from faxnum.domain.faxes import FaxFormat, FaxLimits
from faxnum.faxfiles.inspect import inspect
from faxnum.faxfiles.render import PREVIEW_MAX_HEIGHT, PREVIEW_WIDTH, _pdf_page_one, _tiff_page_one
from tests.fax_samples import content_g4_tiff, g4_tiff, pdf, thin_pdf, tiff_claiming, tiff_with

LIMITS = FaxLimits(max_bytes=20 * 1024 * 1024, max_pages=200, max_pixels=64_000_000)


def test_pages_and_kind_are_read_from_the_structure() -> None:
    assert inspect(io.BytesIO(g4_tiff(2)), LIMITS).pages == 2
    found = inspect(io.BytesIO(pdf(3)), LIMITS)
    assert (found.format, found.pages) == (FaxFormat.PDF, 3)


@pytest.mark.parametrize(
    ("content", "refusal"),
    [
        (tiff_claiming(200_000, 200_000), TooLarge),
        (tiff_claiming(9000, 9000), TooLarge),  # 81 M pixels: past the 64 M limit
        (content_g4_tiff(3)[:-200], Invalid),  # a directory cut off
        (content_g4_tiff(3)[: len(content_g4_tiff(3)) * 7 // 10], Invalid),
        (b"<html>" + pdf(1), Invalid),  # a PDF must start as one
        (b"", Invalid),
        (b"II*\x00" + b"\xff" * 40, Invalid),
    ],
)
def test_a_file_that_is_no_fax_or_too_large_is_refused_from_its_structure(
    content: bytes, refusal: type[Exception]
) -> None:
    with pytest.raises(refusal):
        inspect(io.BytesIO(content), LIMITS)


def test_a_thin_pdf_page_renders_no_larger_than_the_preview() -> None:
    """Scaled to 800 pixels across, a page 1 point wide would be 800,000 tall."""
    image = _pdf_page_one(io.BytesIO(thin_pdf(1, 1000)))
    assert image.width <= PREVIEW_WIDTH and image.height <= PREVIEW_MAX_HEIGHT


@pytest.mark.parametrize("dpi", [(20000, 100), (1, 10_000_000), (204, 98)])
def test_a_tiff_page_is_stretched_by_its_resolutions_within_bounds(
    dpi: tuple[float, float],
) -> None:
    image = _tiff_page_one(io.BytesIO(tiff_with(dpi=dpi)))
    assert image.width <= PREVIEW_WIDTH and image.height <= PREVIEW_MAX_HEIGHT
    assert image.height <= 2.5 * 500 and image.height >= 500 / 2.5
