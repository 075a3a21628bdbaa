"""Tests for media.images: every Pillow mode, scaling, orientation, size caps and bad files."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gemini_live_tui.errors import MediaError
from gemini_live_tui.media import (
    FrameEncoder,
    PreparedImage,
    encode_frame,
    frame_to_image,
    prepare_image,
)
from gemini_live_tui.media import files as files_module


def _save(image: Image.Image, path: Path, fmt: str, **options: object) -> Path:
    image.save(path, fmt, **options)
    return path


def _decode(prepared: PreparedImage) -> Image.Image:
    image = Image.open(io.BytesIO(prepared.data))
    image.load()
    return image


def _noise(width: int, height: int, seed: int = 1) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), "RGB")


def test_large_jpeg_is_scaled_keeping_aspect(tmp_path: Path) -> None:
    path = _save(Image.new("RGB", (3000, 2000), (10, 200, 30)), tmp_path / "big.jpg", "JPEG")
    prepared = prepare_image(path)
    assert prepared.mime_type == "image/jpeg"
    assert (prepared.width, prepared.height) == (1024, 683)
    assert prepared.original_size == (3000, 2000)
    assert prepared.source_name == str(path)
    decoded = _decode(prepared)
    assert decoded.format == "JPEG"
    assert decoded.size == (1024, 683)
    r, g, b = decoded.getpixel((500, 300))  # type: ignore[misc]
    assert abs(r - 10) < 8 and abs(g - 200) < 8 and abs(b - 30) < 8
    assert "3000x2000 -> 1024x683 JPEG" in prepared.summary()
    assert "data" not in repr(prepared)


def test_small_image_is_not_upscaled_and_max_side_is_configurable(tmp_path: Path) -> None:
    path = _save(Image.new("RGB", (300, 200), "red"), tmp_path / "small.png", "PNG")
    assert (prepare_image(path).width, prepare_image(path).height) == (300, 200)
    tall = prepare_image(Image.new("RGB", (400, 1600), "blue"), max_side=512)
    assert (tall.width, tall.height) == (128, 512)


@pytest.mark.parametrize(
    ("mode", "fmt", "colour", "expected"),
    [
        ("RGBA", "PNG", (255, 0, 0, 255), (255, 0, 0)),
        ("RGBA", "PNG", (255, 0, 0, 0), (255, 255, 255)),  # transparent becomes white
        ("LA", "PNG", (40, 255), (40, 40, 40)),
        ("P", "GIF", 3, None),
        ("CMYK", "JPEG", (0, 255, 255, 0), (255, 0, 0)),
        ("CMYK", "TIFF", (255, 0, 255, 0), (0, 255, 0)),
        ("YCbCr", "JPEG", (76, 85, 255), (254, 0, 0)),
        ("1", "PNG", 1, (255, 255, 255)),
        ("L", "PNG", 77, (77, 77, 77)),
        ("I;16", "PNG", 40000, (156, 156, 156)),
        ("I", "TIFF", 51400, (200, 200, 200)),
        ("F", "TIFF", 128.0, (128, 128, 128)),
        ("RGB", "WEBP", (0, 0, 255), (0, 0, 255)),
        ("RGB", "BMP", (9, 99, 199), (9, 99, 199)),
    ],
)
def test_every_mode_becomes_rgb_or_grey(
    tmp_path: Path, mode: str, fmt: str, colour: object, expected: tuple[int, int, int] | None
) -> None:
    source = Image.new(mode, (64, 48), colour)  # type: ignore[arg-type]
    if mode == "P":
        source.putpalette([0, 0, 0, 10, 10, 10, 20, 20, 20, 0, 128, 255] + [0] * 756)
        expected = (0, 128, 255)
    path = _save(source, tmp_path / f"img.{fmt.lower()}", fmt)
    prepared = prepare_image(path)
    decoded = _decode(prepared).convert("RGB")
    assert decoded.size == (64, 48)
    assert expected is not None
    got = decoded.getpixel((32, 24))
    assert isinstance(got, tuple)
    assert all(abs(a - b) <= 6 for a, b in zip(got, expected, strict=True)), (got, expected)


def test_palette_with_transparency_is_composited_on_white(tmp_path: Path) -> None:
    source = Image.new("P", (32, 32), 0)
    source.putpalette([1, 2, 3, 200, 0, 0] + [0] * 762)
    source.paste(1, (0, 0, 16, 32))
    path = _save(source, tmp_path / "t.png", "PNG", transparency=0)
    decoded = _decode(prepare_image(path)).convert("RGB")
    assert all(abs(c - 255) < 6 for c in decoded.getpixel((24, 16)))  # type: ignore[union-attr]
    red = decoded.getpixel((4, 16))
    assert isinstance(red, tuple) and red[0] > 180 and red[1] < 30


@pytest.mark.parametrize(
    ("orientation", "size"), [(1, (200, 100)), (3, (200, 100)), (6, (100, 200)), (8, (100, 200))]
)
def test_exif_orientation_is_applied(
    tmp_path: Path, orientation: int, size: tuple[int, int]
) -> None:
    source = Image.new("RGB", (200, 100), "white")
    source.paste((255, 0, 0), (0, 0, 20, 20))  # marks the stored top-left corner
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = _save(source, tmp_path / "o.jpg", "JPEG", exif=exif.tobytes())
    prepared = prepare_image(path)
    assert (prepared.width, prepared.height) == size
    assert prepared.original_size == size
    decoded = _decode(prepared)
    corners = {
        1: (5, 5),
        3: (size[0] - 5, size[1] - 5),
        6: (size[0] - 5, 5),
        8: (5, size[1] - 5),
    }
    red = decoded.getpixel(corners[orientation])
    assert isinstance(red, tuple) and red[0] > 200 and red[1] < 60


def test_png_kept_only_when_asked_source_is_png_and_it_fits(tmp_path: Path) -> None:
    flat = _save(Image.new("RGB", (500, 400), "green"), tmp_path / "flat.png", "PNG")
    assert prepare_image(flat).mime_type == "image/jpeg"
    kept = prepare_image(flat, prefer="source")
    assert kept.mime_type == "image/png" and kept.quality is None
    assert _decode(kept).format == "PNG"
    jpeg_source = _save(Image.new("RGB", (50, 40), "green"), tmp_path / "flat.jpg", "JPEG")
    assert prepare_image(jpeg_source, prefer="source").mime_type == "image/jpeg"
    assert prepare_image(jpeg_source, prefer="png").mime_type == "image/png"
    noisy = _save(_noise(900, 900), tmp_path / "noise.png", "PNG")
    fallback = prepare_image(noisy, prefer="source")
    assert fallback.mime_type == "image/jpeg"
    assert len(fallback.data) <= 200_000
    with pytest.raises(ValueError, match="prefer"):
        prepare_image(flat, prefer="gif")  # type: ignore[arg-type]


def test_quality_adapts_to_the_byte_cap() -> None:
    noise = _noise(1024, 1024)
    prepared = prepare_image(noise, max_bytes=150_000)
    assert len(prepared.data) <= 150_000
    assert prepared.quality is not None and prepared.quality < 85
    # It is the highest quality that fits: one step up does not.
    higher = io.BytesIO()
    noise.save(higher, "JPEG", quality=prepared.quality + 1, optimize=True)
    assert len(higher.getvalue()) > 150_000


def test_image_is_shrunk_when_even_the_lowest_quality_is_too_big() -> None:
    prepared = prepare_image(_noise(1024, 1024), max_bytes=20_000)
    assert len(prepared.data) <= 20_000
    assert prepared.width < 1024
    assert prepared.width == prepared.height


def test_bytes_and_pillow_sources(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (2048, 1024), "purple").save(buffer, "PNG")
    from_bytes = prepare_image(buffer.getvalue(), name="paste.png")
    assert (from_bytes.width, from_bytes.height, from_bytes.source_name) == (1024, 512, "paste.png")
    from_pillow = prepare_image(Image.new("RGBA", (10, 10), (0, 0, 0, 0)))
    assert from_pillow.source_name == "image" and _decode(from_pillow).mode in ("RGB", "L")


def _error(source: object, **options: object) -> str:
    with pytest.raises(MediaError) as info:
        prepare_image(source, **options)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message
    return message


def test_missing_directory_and_empty_files(tmp_path: Path) -> None:
    assert _error(tmp_path / "nope.jpg") == f"{tmp_path / 'nope.jpg'}: no such file"
    assert "is a directory" in _error(tmp_path)
    (tmp_path / "empty.png").write_bytes(b"")
    assert "empty" in _error(tmp_path / "empty.png")


def test_unsupported_and_corrupt_files(tmp_path: Path) -> None:
    (tmp_path / "notes.jpg").write_text("hello, not an image\n")
    assert _error(tmp_path / "notes.jpg").endswith("notes.jpg: not a supported image type")
    good = io.BytesIO()
    _noise(400, 300).save(good, "JPEG")
    (tmp_path / "cut.jpg").write_bytes(good.getvalue()[: len(good.getvalue()) // 2])
    assert "cut.jpg: corrupt" in _error(tmp_path / "cut.jpg")
    png = io.BytesIO()
    _noise(100, 100).save(png, "PNG")
    (tmp_path / "broken.png").write_bytes(png.getvalue()[: len(png.getvalue()) * 2 // 3])
    assert "broken.png: corrupt" in _error(tmp_path / "broken.png")


def test_oversized_inputs_are_refused(tmp_path: Path) -> None:
    path = _save(_noise(200, 200), tmp_path / "n.png", "PNG")
    assert "too large" in _error(path, max_input_bytes=10_000)
    assert "too large" in _error(path.read_bytes(), max_input_bytes=10_000)
    # A tiny file that decodes to 81 megapixels: refused before decoding.
    bomb = _save(Image.new("1", (9000, 9000)), tmp_path / "bomb.png", "PNG")
    assert bomb.stat().st_size < 200_000
    message = _error(bomb)
    assert "bomb.png: too large (9000x9000 pixels" in message
    assert "too large" in _error(_noise(100, 100), max_pixels=5_000)


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _save(Image.new("RGB", (8, 8)), tmp_path / "secret.png", "PNG")
    if os.geteuid() == 0:
        # root reads every file whatever its mode, so make the open itself fail as it
        # would for a user; the stat and the error mapping stay real.
        def refuse(*args: object, **kwargs: object) -> object:
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(files_module, "open", refuse, raising=False)
    else:
        path.chmod(0)
    try:
        assert _error(path) == f"{path}: permission denied"
    finally:
        path.chmod(0o600)


def test_frame_to_image_reads_bgra_and_rgb_arrays() -> None:
    bgra = np.zeros((1080, 1920, 4), dtype=np.uint8)
    bgra[..., 0], bgra[..., 1], bgra[..., 2], bgra[..., 3] = 255, 136, 0, 255  # #0088ff
    image = frame_to_image(bgra)
    assert image.mode == "RGB" and image.size == (1920, 1080)
    assert image.getpixel((0, 0)) == (0, 136, 255)
    rgb = np.zeros((10, 20, 3), dtype=np.uint8)
    rgb[..., 0] = 200
    assert frame_to_image(rgb).getpixel((5, 5)) == (200, 0, 0)
    with pytest.raises(MediaError, match="expected"):
        frame_to_image(np.zeros((10, 10), dtype=np.uint8))
    with pytest.raises(MediaError, match="expected"):
        frame_to_image(np.zeros((10, 10, 3), dtype=np.float32))


def test_encode_frame_scales_and_keeps_colours() -> None:
    bgra = np.zeros((1080, 1920, 4), dtype=np.uint8)
    bgra[..., 2] = 255  # red
    frame = encode_frame(bgra)
    assert (frame.width, frame.height) == (1024, 576)
    assert frame.original_size == (1920, 1080) and frame.source_name == "screen"
    pixel = _decode(frame).getpixel((512, 288))
    assert isinstance(pixel, tuple) and pixel[0] > 245 and pixel[1] < 10 and pixel[2] < 10


def test_frame_encoder_carries_quality_over_frames() -> None:
    encoder = FrameEncoder(max_bytes=120_000, quality=80, quality_step=5)
    first = encoder.encode_frame(_noise(1280, 800, seed=2))
    assert len(first.data) <= 120_000
    assert first.quality is not None and first.quality < 80
    assert encoder.next_quality == first.quality + 5
    # A flat frame fits at once, and the start quality climbs back towards the maximum.
    flat = encoder.encode_frame(Image.new("RGB", (1280, 800), "white"))
    assert flat.quality == first.quality + 5
    for _ in range(20):
        encoder.encode_frame(Image.new("RGB", (1280, 800), "white"))
    assert encoder.next_quality == 80


def test_invalid_limits_are_refused() -> None:
    with pytest.raises(MediaError, match="max_side"):
        prepare_image(Image.new("RGB", (8, 8)), max_side=4)
    with pytest.raises(MediaError, match="max_bytes"):
        FrameEncoder(max_bytes=10)
