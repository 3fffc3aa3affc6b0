"""Untrusted bytes in, a small clean WebP out — or a RejectedImage that says why not.

Everything Pillow does with an upload happens here. The bytes come from anyone with an upload slot,
so the file is identified by its content (never by its name or declared type), only the three
allowed decoders are ever tried, and its pixel count is checked before anything is decoded.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Final

# Importing the three plugins registers them, so Image.open never falls back to loading every
# plugin Pillow has: less init work and a smaller attack surface.
from PIL import Image, ImageOps, JpegImagePlugin, PngImagePlugin, WebPImagePlugin

from common.uploads import ALLOWED_CONTENT_TYPES, THUMBNAIL_MAX_PX

ALLOWED_FORMATS: Final = (
    JpegImagePlugin.JpegImageFile.format,
    PngImagePlugin.PngImageFile.format,
    WebPImagePlugin.WebPImageFile.format,
)

# 40 megapixels (e.g. 8000 x 5000) covers any phone or camera photo a 5 MiB file can hold; decoded
# as RGBA that is 160 MB, which the function's memory must allow. Pillow raises above twice this
# limit and only warns above it; we treat the warning as an error too, so this is the hard cap.
MAX_SOURCE_PIXELS: Final = 40_000_000
Image.MAX_IMAGE_PIXELS = MAX_SOURCE_PIXELS

WEBP_QUALITY: Final = 80

# Modes Pillow resizes with a proper filter; the rest are converted to RGB/RGBA first.
_RESIZABLE_MODES: Final = frozenset({"RGB", "RGBA", "L", "LA", "CMYK"})


class RejectedImage(Exception):
    """The file is not an acceptable image. ``reason`` is shown to users; ``code`` is for logs."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Thumbnail:
    webp: bytes
    width: int
    height: int
    source_format: str
    source_width: int
    source_height: int


def make_thumbnail(data: bytes, declared_content_type: str | None = None) -> Thumbnail:
    """A WebP of at most THUMBNAIL_MAX_PX on its longest side, upright, in sRGB, without metadata.

    ``declared_content_type`` is what the uploader said the file is (the upload slot's type); the
    real format must match it.
    """
    image = _open(data)
    try:
        source_format = image.format or ""
        source_size = image.size
        _check_declared_type(source_format, declared_content_type)
        try:
            picture = _render(image)
        except Exception as error:
            # A C decoder fed untrusted bytes fails in many ways (OSError for truncated data,
            # SyntaxError/ValueError/struct.error for malformed chunks...). All mean the same: there
            # is no picture to show, a property of the file and not a fault worth a retry.
            raise RejectedImage(
                "undecodable", f"the {source_format} image is damaged or incomplete"
            ) from error
    finally:
        image.close()
    return Thumbnail(
        webp=_encode_webp(picture),
        width=picture.width,
        height=picture.height,
        source_format=source_format,
        source_width=source_size[0],
        source_height=source_size[1],
    )


def _open(data: bytes) -> Image.Image:
    """Identify the file by content among the allowed formats; refuse oversized pixel counts."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise RejectedImage(
                "too_many_pixels",
                f"the image has too many pixels (limit {MAX_SOURCE_PIXELS // 1_000_000} megapixels)",
            ) from error
        except Image.UnidentifiedImageError as error:
            raise RejectedImage("not_an_image", "the file is not a JPEG, PNG or WebP image") from error
        except Exception as error:
            # A recognised header followed by garbage fails inside the plugin's own parser.
            raise RejectedImage("undecodable", "the image is damaged or incomplete") from error


def _check_declared_type(source_format: str, declared_content_type: str | None) -> None:
    if declared_content_type is None:
        return
    declared_format = ALLOWED_CONTENT_TYPES.get(declared_content_type)
    if declared_format != source_format:
        raise RejectedImage(
            "type_mismatch",
            f"the file is a {source_format} image but was declared as {declared_content_type}",
        )


def _render(image: Image.Image) -> Image.Image:
    """Decode, shrink, turn upright and convert to sRGB RGB/RGBA."""
    # For JPEG, decode at the smallest DCT scale that still covers the thumbnail: a fraction of
    # the memory and time of a full decode. Other formats ignore the hint.
    image.draft("RGB", (THUMBNAIL_MAX_PX, THUMBNAIL_MAX_PX))
    image.load()
    if image.mode not in _RESIZABLE_MODES:
        # Palette and 16-bit images would be resized by nearest neighbour or not at all.
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    # Shrink first (in place, keeping the EXIF it needs next), then rotate the small picture: the
    # full-size image is never copied.
    image.thumbnail((THUMBNAIL_MAX_PX, THUMBNAIL_MAX_PX), Image.Resampling.LANCZOS)
    upright = ImageOps.exif_transpose(image)
    return _to_srgb(upright)


def _to_srgb(image: Image.Image) -> Image.Image:
    """RGB or RGBA pixels in sRGB: what browsers assume for an image without a colour profile.

    The embedded profile (e.g. Display P3 from phones, or a CMYK press profile) is applied rather
    than dropped, so stripping it with the rest of the metadata does not shift the colours.
    """
    target_mode = "RGBA" if image.has_transparency_data else "RGB"
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "RGBA", "CMYK"):
        from PIL import ImageCms  # only photos with a profile pay for littlecms

        try:
            converted = ImageCms.profileToProfile(
                image,
                ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                ImageCms.createProfile("sRGB"),
                outputMode=target_mode if image.mode != "CMYK" else "RGB",
            )
        except (ImageCms.PyCMSError, OSError, ValueError):
            converted = None  # an unreadable profile: fall back to the plain pixel values
        if converted is not None:
            image = converted
    if image.mode != target_mode:
        image = image.convert(target_mode)
    return image


def _encode_webp(picture: Image.Image) -> bytes:
    # A fresh info dict: nothing of the source's metadata (EXIF with GPS position and camera
    # serial, XMP, comments, the colour profile already applied) reaches the output.
    picture.info = {}
    out = io.BytesIO()
    picture.save(out, format="WEBP", quality=WEBP_QUALITY, method=4, exif=b"", xmp=b"")
    return out.getvalue()
