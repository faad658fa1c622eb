"""The signed transform service: signatures, rotation, options, caps, presets, headers."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import numpy as np
import pytest
import pyvips
from imagegen import bomb_png, photo_array, read_rgb, to_vips
from starlette.testclient import TestClient

from stacks.settings import ImageSettings, Settings
from workers.images.formats import avif_supported, sniff
from workers.images.transform.app import create_app
from workers.images.transform.options import encode_source
from workers.images.transform.signing import SigningKey, sign_path, signed_url_path
from workers.images.transform.source import SourceNotFoundError, SourceRef

OLD = SigningKey("k1", b"old-key-material", b"old-salt")
NEW = SigningKey("k2", b"new-key-material", b"new-salt")
SOURCE = "derivatives/covers/a.jpg"


def cover_array() -> np.ndarray:
    """1200x800: red band on top, blue band at the bottom, photo in between."""
    array = photo_array(1200, 800, seed=5)
    array[:100] = (250, 10, 10)
    array[-100:] = (10, 10, 250)
    return array


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    bomb = bomb_png(tmp_path_factory.mktemp("bomb") / "bomb.png").read_bytes()
    return {
        "covers/a.jpg": to_vips(cover_array()).jpegsave_buffer(Q=95),
        "covers/bomb.png": bomb,
        "covers/broken.jpg": to_vips(cover_array()).jpegsave_buffer()[:5000],
    }


def make_client(
    settings: Settings, sources: dict[str, bytes], keys: list[SigningKey]
) -> TestClient:
    bucket = settings.bucket_name("derivatives")

    def fetch(ref: SourceRef) -> bytes:
        if ref.bucket != bucket or ref.key not in sources:
            raise SourceNotFoundError(f"{ref.bucket}/{ref.key}")
        return sources[ref.key]

    return TestClient(create_app(settings, s3=None, keys=keys, fetcher=fetch))


@pytest.fixture
def client(local_settings: Settings, sources: dict[str, bytes]) -> TestClient:
    return make_client(local_settings, sources, [OLD, NEW])


Get = Callable[..., httpx.Response]


@pytest.fixture
def get(client: TestClient) -> Get:
    def request(
        options: str,
        source: str = SOURCE,
        key: SigningKey = NEW,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return client.get(signed_url_path(key, f"{options}/plain/{source}"), headers=headers)

    return request


def dims(data: bytes) -> tuple[int, int]:
    image = pyvips.Image.new_from_buffer(data, "")
    return image.width, image.height


def test_signature_matches_imgproxy_documented_vector() -> None:
    path = "/rs:fill:300:400:0/g:sm/aHR0cDovL2V4YW1w/bGUuY29tL2ltYWdl/cy9jdXJpb3NpdHku/anBn.png"
    assert sign_path(b"secret", b"hello", path) == "oKfUtW34Dvo2BGQehJFR4Nr0_rIjOtdtzJ3QFsUcXH8"


def test_signed_request_resizes(get: Get) -> None:
    response = get("rs:fit:300:300")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert sniff(response.content) == "jpeg"
    assert dims(response.content) == (300, 200)


def test_unsigned_and_tampered_are_forbidden(client: TestClient) -> None:
    good = signed_url_path(NEW, f"rs:fit:300:300/plain/{SOURCE}")
    signature, path = good[1:].split("/", 1)
    tampered_options = f"/{signature}/{path.replace('300:300', '3000:3000')}"
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    for url in (
        f"/insecure/{path}",
        f"/unsafe/{path}",
        f"/{path}",
        tampered_options,
        f"/{flipped}/{path}",
        f"/{signature}/{path.replace('a.jpg', 'b.jpg')}",
        f"/{signature}",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert response.headers["cache-control"] == "no-store"
    assert client.get(good).status_code == 200


def test_key_rotation_both_active_then_old_retired(
    local_settings: Settings, sources: dict[str, bytes]
) -> None:
    path = f"rs:fit:100:100/plain/{SOURCE}"
    during = make_client(local_settings, sources, [OLD, NEW])
    assert during.get(signed_url_path(OLD, path)).status_code == 200
    assert during.get(signed_url_path(NEW, path)).status_code == 200
    after = make_client(local_settings, sources, [NEW])
    assert after.get(signed_url_path(OLD, path)).status_code == 403
    assert after.get(signed_url_path(NEW, path)).status_code == 200


@pytest.mark.parametrize(
    ("options", "expected"),
    [("f:webp", "webp"), ("f:png", "png"), ("f:jpg", "jpeg"), ("f:avif", "avif")],
)
def test_output_formats(get: Get, options: str, expected: str) -> None:
    response = get(f"rs:fit:120:120/{options}")
    assert response.status_code == 200
    if expected == "avif" and not avif_supported():
        expected = "webp"
    assert sniff(response.content) == expected
    assert response.headers["content-type"] == f"image/{expected}"


def test_avif_is_available_in_this_build() -> None:
    assert avif_supported()


def test_base64_source_with_extension_chooses_format(client: TestClient) -> None:
    url = signed_url_path(NEW, f"rs:fit:64:64/{encode_source(SOURCE, 'png')}")
    response = client.get(url)
    assert response.status_code == 200
    assert sniff(response.content) == "png"


def test_fill_with_gravity_keeps_the_chosen_edge(get: Get) -> None:
    north = read_rgb(get("rs:fill:200:200/g:no/f:png").content)
    south = read_rgb(get("rs:fill:200:200/g:so/f:png").content)
    assert north.shape == south.shape == (200, 200, 3)
    assert north[:5].mean(axis=(0, 1))[0] > 200  # red band at the top
    assert south[-5:].mean(axis=(0, 1))[2] > 200  # blue band at the bottom
    smart = get("rs:fill:200:100/g:sm")
    assert dims(smart.content) == (200, 100)


def test_crop_before_resize(get: Get) -> None:
    response = get("c:600:100:nowe/rs:fit:300:300/f:png")
    assert dims(response.content) == (300, 50)
    assert read_rgb(response.content).mean(axis=(0, 1))[0] > 200  # only the red band


def test_force_and_no_enlarge(get: Get) -> None:
    assert dims(get("rs:force:100:300").content) == (100, 300)
    assert dims(get("rs:fit:5000:5000").content) == (1200, 800)


def test_output_dimensions_capped(local_settings: Settings, sources: dict[str, bytes]) -> None:
    capped = local_settings.model_copy(update={"images": ImageSettings(max_output_dimension=500)})
    client = make_client(capped, sources, [NEW])
    for options in ("rs:fit:4000:4000:1", "w:100000/el:1", "rs:force:9000:100", "q:90"):
        response = client.get(signed_url_path(NEW, f"{options}/plain/{SOURCE}"))
        assert response.status_code == 200, options
        assert max(dims(response.content)) <= 500, options
    fill = client.get(signed_url_path(NEW, f"rs:fill:2000:1000:1/plain/{SOURCE}"))
    assert dims(fill.content) == (500, 250)


def test_named_preset(get: Get, local_settings: Settings) -> None:
    assert local_settings.images.presets["thumb"] == "rs:fill:256:256/g:sm/q:80"
    for options in ("preset:thumb", "pr:thumb"):
        response = get(options)
        assert response.status_code == 200
        assert dims(response.content) == (256, 256)
    assert sniff(get("pr:avatar").content) == "webp"
    assert get("pr:nope").status_code == 400


def test_quality_changes_size(get: Get) -> None:
    low = get("rs:fit:600:600/q:20").content
    high = get("rs:fit:600:600/q:95").content
    assert len(low) < len(high) / 2


def test_watermark_overlays_the_chosen_corner(get: Get) -> None:
    plain = read_rgb(get("rs:fit:600:600/f:png").content).astype(int)
    marked = read_rgb(get("rs:fit:600:600/wm:1:soea/f:png").content).astype(int)
    height, width = plain.shape[:2]
    corner = np.abs(marked - plain)[height // 2 :, width // 2 :]
    other = np.abs(marked - plain)[: height // 2, : width // 2]
    assert corner.max() > 100
    assert other.max() == 0


def test_bad_options_and_sources(get: Get, client: TestClient) -> None:
    assert get("rs:stretch:10:10").status_code == 400
    assert get("q:0").status_code == 400
    assert get("zz:1").status_code == 400
    assert get("rs:fit:10:10", source="masters/other.jpg").status_code == 404
    assert get("rs:fit:10:10", source="logs/a.jpg").status_code == 404
    escape = signed_url_path(NEW, f"rs:fit:10:10/{encode_source('derivatives/../x.jpg')}")
    assert client.get(escape).status_code == 404


def test_source_limits_and_corrupt_source(get: Get) -> None:
    bomb = get("rs:fit:10:10", source="derivatives/covers/bomb.png")
    assert bomb.status_code == 422
    assert "before decoding" in bomb.text
    assert get("rs:fit:10:10", source="derivatives/covers/broken.jpg").status_code == 422


def test_cache_headers_from_the_images_rule(get: Get, local_settings: Settings) -> None:
    rule = local_settings.delivery.rule_for("images")
    response = get("rs:fit:50:50")
    cache_control = response.headers["cache-control"]
    assert f"max-age={rule.browser_ttl_seconds}" in cache_control
    assert f"s-maxage={rule.edge_ttl_seconds}" in cache_control
    assert response.headers["cache-tag"] == rule.cache_tag
    etag = response.headers["etag"]
    again = get("rs:fit:50:50")
    assert again.headers["etag"] == etag and again.content == response.content
    assert client_conditional(get, etag).status_code == 304


def client_conditional(get: Get, etag: str) -> httpx.Response:
    return get("rs:fit:50:50", headers={"If-None-Match": etag})
