"""imaging.make_thumbnail on its own: colour modes, colour profiles, animation, rejection codes."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms

from tests.unit.thumbnails.helpers import image_bytes, png_header_only
from thumbnails import imaging


def decoded(thumbnail: imaging.Thumbnail) -> Image.Image:
    image = Image.open(io.BytesIO(thumbnail.webp))
    image.load()
    return image


def close_to(actual: object, expected: tuple[int, ...], tolerance: int = 8) -> bool:
    """Lossy WebP moves colours by a few levels."""
    assert isinstance(actual, tuple)
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@pytest.mark.parametrize(
    ("fmt", "mode", "save", "expected_mode"),
    [
        pytest.param("PNG", "L", {}, "RGB", id="greyscale"),
        pytest.param("PNG", "1", {}, "RGB", id="bilevel"),
        pytest.param("PNG", "I;16", {}, "RGB", id="16-bit-greyscale"),
        pytest.param("PNG", "P", {}, "RGB", id="palette"),
        pytest.param("PNG", "LA", {}, "RGBA", id="greyscale-with-alpha"),
        pytest.param("PNG", "RGBA", {}, "RGBA", id="rgba"),
        pytest.param("JPEG", "CMYK", {}, "RGB", id="cmyk-jpeg"),
        pytest.param("JPEG", "L", {}, "RGB", id="greyscale-jpeg"),
        pytest.param("WEBP", "RGBA", {"lossless": True}, "RGBA", id="lossless-webp-with-alpha"),
    ],
)
def test_every_colour_mode_becomes_rgb_or_rgba(
    fmt: str, mode: str, save: dict[str, object], expected_mode: str
) -> None:
    thumbnail = imaging.make_thumbnail(image_bytes(fmt, (640, 480), mode, **save))

    image = decoded(thumbnail)
    assert image.mode == expected_mode
    assert image.size == (320, 240) == (thumbnail.width, thumbnail.height)
    assert (thumbnail.source_width, thumbnail.source_height) == (640, 480)


def test_a_palette_png_with_a_transparent_colour_keeps_its_transparency() -> None:
    image = Image.new("P", (64, 64), 0)
    image.putpalette([255, 0, 0, 0, 0, 255])
    image.paste(1, (32, 0, 64, 64))
    out = io.BytesIO()
    image.save(out, format="PNG", transparency=1)

    result = decoded(imaging.make_thumbnail(out.getvalue(), "image/png"))

    assert result.mode == "RGBA"
    assert result.getpixel((60, 10))[3] == 0  # type: ignore[index]
    assert close_to(result.getpixel((4, 10))[:3], (255, 0, 0))  # type: ignore[index]


def test_an_embedded_colour_profile_is_applied_then_dropped() -> None:
    # given a JPEG carrying an (sRGB) ICC profile
    body = image_bytes("JPEG", (400, 300), icc_profile=srgb_profile())

    # when it is thumbnailed
    result = decoded(imaging.make_thumbnail(body, "image/jpeg"))

    # then the output has no profile and the colours are unchanged
    assert "icc_profile" not in result.info
    assert close_to(result.getpixel((20, 100)), (255, 0, 0))
    assert close_to(result.getpixel((300, 100)), (0, 0, 255))


@pytest.mark.parametrize(
    ("mode", "icc"),
    [
        pytest.param("RGB", b"definitely not an ICC profile", id="garbage-profile"),
        pytest.param("CMYK", None, id="rgb-profile-on-cmyk-pixels"),
    ],
)
def test_an_unusable_colour_profile_is_ignored_not_fatal(mode: str, icc: bytes | None) -> None:
    body = image_bytes("JPEG", (400, 300), mode, icc_profile=icc if icc is not None else srgb_profile())

    result = decoded(imaging.make_thumbnail(body, "image/jpeg"))

    assert result.mode == "RGB"
    assert "icc_profile" not in result.info


def test_only_the_first_frame_of_an_animated_webp_is_used() -> None:
    frames = [Image.new("RGB", (100, 100), colour) for colour in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(out, format="WEBP", save_all=True, append_images=frames[1:], duration=100, lossless=True)

    result = decoded(imaging.make_thumbnail(out.getvalue(), "image/webp"))

    assert getattr(result, "n_frames", 1) == 1
    assert close_to(result.getpixel((50, 50)), (255, 0, 0))


@pytest.mark.parametrize(
    ("body", "declared", "code"),
    [
        pytest.param(b"plain text", None, "not_an_image", id="text"),
        pytest.param(png_header_only(100_000, 100_000), None, "too_many_pixels", id="bomb"),
        pytest.param(image_bytes("PNG"), "image/webp", "type_mismatch", id="mismatch"),
        pytest.param(image_bytes("PNG"), "image/gif", "type_mismatch", id="type-not-allowed"),
        pytest.param(png_header_only(64, 64), None, "undecodable", id="no-pixel-data"),
    ],
)
def test_each_rejection_carries_a_code_for_logs_and_a_reason_for_people(
    body: bytes, declared: str | None, code: str
) -> None:
    with pytest.raises(imaging.RejectedImage) as rejected:
        imaging.make_thumbnail(body, declared)

    assert rejected.value.code == code
    assert rejected.value.reason
    assert str(rejected.value) == rejected.value.reason


def test_a_bomb_is_refused_at_the_limit_not_only_at_twice_the_limit() -> None:
    # Pillow raises only above 2x MAX_IMAGE_PIXELS and warns between 1x and 2x; both are refused.
    just_over = png_header_only(imaging.MAX_SOURCE_PIXELS // 1000 + 1, 1000)
    at_limit_but_empty = png_header_only(imaging.MAX_SOURCE_PIXELS // 1000, 1000)

    with pytest.raises(imaging.RejectedImage) as over:
        imaging.make_thumbnail(just_over)
    with pytest.raises(imaging.RejectedImage) as at_limit:
        imaging.make_thumbnail(at_limit_but_empty)

    assert over.value.code == "too_many_pixels"
    assert at_limit.value.code == "undecodable"  # accepted as a size, then found to hold no pixels
