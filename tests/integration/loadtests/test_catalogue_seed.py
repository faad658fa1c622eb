"""The synthetic catalogue seeded into a derivatives bucket on moto."""

from __future__ import annotations

import boto3
import m3u8
import pytest

from loadtests.catalogue import load_catalogue, seed_catalogue

pytestmark = pytest.mark.integration


def test_seeded_catalogue_is_playable_and_idempotent(moto_endpoint: str, tmp_path):  # type: ignore[no-untyped-def]
    s3 = boto3.client(
        "s3", endpoint_url=moto_endpoint, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    s3.create_bucket(Bucket="catalogue-seed-test")
    catalogue = seed_catalogue(s3, "catalogue-seed-test", tracks=6, track_bytes=1024, hls_items=2)
    assert len(catalogue.downloads) == 6 and len(catalogue.hls) == 2
    assert set(catalogue.first_byte) <= set(catalogue.downloads)
    master_key = catalogue.hls[0].lstrip("/")
    master = m3u8.loads(
        s3.get_object(Bucket="catalogue-seed-test", Key=master_key)["Body"].read().decode()
    )
    rendition_key = master_key.rsplit("/", 1)[0] + "/" + master.playlists[0].uri
    rendition = m3u8.loads(
        s3.get_object(Bucket="catalogue-seed-test", Key=rendition_key)["Body"].read().decode()
    )
    base = rendition_key.rsplit("/", 1)[0]
    for uri in [rendition.segment_map[0].uri, *(s.uri for s in rendition.segments)]:
        s3.head_object(Bucket="catalogue-seed-test", Key=f"{base}/{uri}")
    before = s3.list_object_versions(Bucket="catalogue-seed-test").get("Versions", [])
    assert (
        seed_catalogue(s3, "catalogue-seed-test", tracks=6, track_bytes=1024, hls_items=2)
        == catalogue
    )
    assert s3.list_object_versions(Bucket="catalogue-seed-test").get("Versions", []) == before
    assert load_catalogue(catalogue.dump(tmp_path / "c.json")) == catalogue
    (tmp_path / "bad.json").write_text('{"tracks": []}')
    with pytest.raises(ValueError, match="unknown keys"):
        load_catalogue(tmp_path / "bad.json")
