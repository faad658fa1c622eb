"""`mediainfra image` commands (typer app) and the signing-key loader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from imagegen import bomb_png, photo_array, write_jpeg
from typer.testing import CliRunner

from stacks.settings import Settings
from workers.images.cli import app
from workers.images.transform.signing import (
    SigningKey,
    SigningKeyError,
    development_key,
    keys_from_env,
    select_key,
    signed_url_path,
)

runner = CliRunner()


def test_optimize_writes_variants_and_manifest(tmp_path: Path) -> None:
    src = write_jpeg(tmp_path / "art.jpg", photo_array(700, 500))
    result = runner.invoke(app, ["optimize", str(src), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    names = {item["name"] for item in manifest["outputs"]}
    assert names == {
        "art-full.webp",
        "art-full.jpg",
        "art-256.webp",
        "art-256.jpg",
        "art-512.webp",
        "art-512.jpg",
    }
    assert all((tmp_path / "out" / name).is_file() for name in names)


def test_optimize_refusal_exits_2_with_the_reason(tmp_path: Path) -> None:
    bomb = bomb_png(tmp_path / "bomb.png")
    result = runner.invoke(app, ["optimize", str(bomb), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "50000x50000" in result.output


def test_sign_uses_the_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIAINFRA_IMAGE_KEY_k1", b"cli-key".hex())
    monkeypatch.setenv("MEDIAINFRA_IMAGE_SALT_k1", b"cli-salt".hex())
    result = runner.invoke(app, ["sign", "pr:thumb/plain/derivatives/a.jpg", "--key-id", "k1"])
    assert result.exit_code == 0, result.output
    expected = signed_url_path(
        SigningKey("k1", b"cli-key", b"cli-salt"), "/pr:thumb/plain/derivatives/a.jpg"
    )
    assert result.output.strip() == expected


def test_sign_with_an_inactive_key_id_fails() -> None:
    result = runner.invoke(app, ["sign", "w:10/plain/derivatives/a.jpg", "--key-id", "k9"])
    assert result.exit_code == 2
    assert "not active" in result.output


def test_keys_from_env(local_settings: Settings, prod_settings: Settings) -> None:
    rotating = local_settings.model_copy(
        update={
            "images": local_settings.images.model_copy(update={"signing_key_ids": ("k1", "k2")})
        }
    )
    environ = {
        "MEDIAINFRA_IMAGE_KEY_k1": "00ff",
        "MEDIAINFRA_IMAGE_SALT_k1": "01",
        "MEDIAINFRA_IMAGE_KEY_k2": "aa",
        "MEDIAINFRA_IMAGE_SALT_k2": "bb",
    }
    keys = keys_from_env(rotating, environ)
    assert [(k.key_id, k.key, k.salt) for k in keys] == [
        ("k1", b"\x00\xff", b"\x01"),
        ("k2", b"\xaa", b"\xbb"),
    ]
    assert select_key(keys, "k2").key == b"\xaa"
    assert keys_from_env(local_settings, {}) == [development_key("k1")]
    with pytest.raises(SigningKeyError, match="MEDIAINFRA_IMAGE_KEY_k1"):
        keys_from_env(prod_settings, {})
    with pytest.raises(SigningKeyError, match="hex"):
        keys_from_env(
            prod_settings, {"MEDIAINFRA_IMAGE_KEY_k1": "zz", "MEDIAINFRA_IMAGE_SALT_k1": "00"}
        )
    assert "key=" not in repr(keys[0])
