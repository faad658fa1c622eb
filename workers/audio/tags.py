"""Tags and cover art: read from any master with mutagen, written to every variant with mutagen.

ffmpeg drops ISRC/label in M4A and cannot put a cover in OGG, so variants are encoded without
metadata and tagged here, one writer per tag system (ID3, Vorbis comments, MP4 atoms).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, fields, replace
from pathlib import Path

import mutagen
from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, COMM, ID3, TALB, TIT2, TPE1, TPUB, TRCK, TSRC, TXXX
from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm
from mutagen.oggvorbis import OggVorbis

TEXT_FIELDS = ("title", "artist", "album", "track", "isrc", "label", "comment")
ID3_FRAMES = {"title": TIT2, "artist": TPE1, "album": TALB, "track": TRCK, "isrc": TSRC,
              "label": TPUB}  # fmt: skip
VORBIS_KEYS = {"title": "TITLE", "artist": "ARTIST", "album": "ALBUM", "track": "TRACKNUMBER",
               "isrc": "ISRC", "label": "LABEL", "comment": "COMMENT"}  # fmt: skip
MP4_KEYS = {"title": "\xa9nam", "artist": "\xa9ART", "album": "\xa9alb", "comment": "\xa9cmt"}
MP4_FREEFORM = {"isrc": "----:com.apple.iTunes:ISRC", "label": "----:com.apple.iTunes:LABEL"}
FFPROBE_KEYS = {"title": ("title",), "artist": ("artist",), "album": ("album",),
                "track": ("track", "tracknumber"), "isrc": ("isrc", "tsrc"),
                "label": ("label", "publisher", "organization"),
                "comment": ("comment", "description")}  # fmt: skip


class TagError(ValueError):
    """A file's tags could not be read or written."""


@dataclass(frozen=True)
class Cover:
    """Embedded front cover."""

    data: bytes
    mime: str = "image/jpeg"


@dataclass(frozen=True)
class Tags:
    """The tags we carry from a master to its variants."""

    title: str | None = None
    artist: str | None = None
    album: str | None = None
    track: str | None = None
    isrc: str | None = None
    label: str | None = None
    comment: str | None = None
    cover: Cover | None = None

    def text(self) -> dict[str, str]:
        return {f: v for f in TEXT_FIELDS if (v := getattr(self, f))}

    def merged_with(self, fallback: Tags) -> Tags:
        """These tags, with empty fields filled from `fallback`."""
        values = {f.name: getattr(self, f.name) or getattr(fallback, f.name) for f in fields(self)}
        return replace(self, **values)


def _first(values: object) -> str | None:
    if isinstance(values, list | tuple):
        values = values[0] if values else None
    return str(values) if values not in (None, "") else None


def _from_id3(tags: ID3) -> Tags:
    values: dict[str, str | None] = {
        name: _first(tags[frame.__name__].text) if frame.__name__ in tags else None
        for name, frame in ID3_FRAMES.items()
    }
    comments = tags.getall("COMM")
    values["comment"] = _first(comments[0].text) if comments else None
    pictures = tags.getall("APIC")
    cover = Cover(pictures[0].data, pictures[0].mime) if pictures else None
    return Tags(**values, cover=cover)


def _from_vorbis(tags: object, pictures: list[Picture]) -> Tags:
    get = tags.get  # type: ignore[attr-defined]
    values = {name: _first(get(key)) for name, key in VORBIS_KEYS.items()}
    values["label"] = values["label"] or _first(get("ORGANIZATION"))
    values["comment"] = values["comment"] or _first(get("DESCRIPTION"))
    if not pictures:
        for encoded in get("METADATA_BLOCK_PICTURE") or []:
            pictures.append(Picture(base64.b64decode(encoded)))
    cover = Cover(pictures[0].data, pictures[0].mime) if pictures else None
    return Tags(**values, cover=cover)


def _from_mp4(tags: object) -> Tags:
    get = tags.get  # type: ignore[attr-defined]
    values = {name: _first(get(key)) for name, key in MP4_KEYS.items()}
    for name, key in MP4_FREEFORM.items():
        raw = get(key)
        values[name] = bytes(raw[0]).decode("utf-8", "replace") if raw else None
    trkn = get("trkn")
    values["track"] = str(trkn[0][0]) if trkn and trkn[0][0] else None
    covr = get("covr")
    cover = None
    if covr:
        mime = "image/png" if covr[0].imageformat == MP4Cover.FORMAT_PNG else "image/jpeg"
        cover = Cover(bytes(covr[0]), mime)
    return Tags(**values, cover=cover)


def read_tags(path: Path, probed: dict[str, str] | None = None) -> Tags:
    """Tags of any supported master; fields mutagen cannot see are taken from ffprobe's tags."""
    try:
        audio = mutagen.File(path)
    except mutagen.MutagenError as exc:
        raise TagError(f"{path.name}: cannot read tags: {exc}") from None
    tags = Tags()
    if audio is not None and audio.tags is not None:
        if isinstance(audio.tags, ID3):
            tags = _from_id3(audio.tags)
        elif isinstance(audio, MP4):
            tags = _from_mp4(audio.tags)
        else:
            tags = _from_vorbis(audio.tags, list(getattr(audio, "pictures", [])))
    probed = probed or {}
    fallback = {
        name: next((probed[k] for k in keys if probed.get(k)), None)
        for name, keys in FFPROBE_KEYS.items()
    }
    return tags.merged_with(Tags(**fallback))


def _picture(cover: Cover) -> Picture:
    picture = Picture()
    picture.type = 3
    picture.mime = cover.mime
    picture.desc = "Cover"
    picture.data = cover.data
    return picture


def _write_id3(path: Path, tags: Tags, extra: dict[str, str]) -> None:
    id3 = ID3()
    for name, value in tags.text().items():
        if name == "comment":
            id3.add(COMM(encoding=3, lang="eng", desc="", text=[value]))
        else:
            id3.add(ID3_FRAMES[name](encoding=3, text=[value]))
    for key, value in extra.items():
        id3.add(TXXX(encoding=3, desc=key, text=[value]))
    if tags.cover:
        id3.add(APIC(encoding=3, mime=tags.cover.mime, type=3, desc="Cover", data=tags.cover.data))
    id3.save(path, v2_version=3)


def _write_vorbis(audio: FLAC | OggVorbis, tags: Tags, extra: dict[str, str]) -> None:
    if audio.tags is None:
        audio.add_tags()
    for name, value in tags.text().items():
        audio[VORBIS_KEYS[name]] = [value]
    for key, value in extra.items():
        audio[key] = [value]
    if tags.cover:
        picture = _picture(tags.cover)
        if isinstance(audio, FLAC):
            audio.clear_pictures()
            audio.add_picture(picture)
        else:
            audio["METADATA_BLOCK_PICTURE"] = [base64.b64encode(picture.write()).decode("ascii")]
    audio.save()


def _write_mp4(audio: MP4, tags: Tags, extra: dict[str, str]) -> None:
    if audio.tags is None:
        audio.add_tags()
    text = tags.text()
    for name, key in MP4_KEYS.items():
        if name in text:
            audio[key] = [text[name]]
    for name, key in MP4_FREEFORM.items():
        if name in text:
            audio[key] = [MP4FreeForm(text[name].encode())]
    if "track" in text and text["track"].split("/")[0].isdigit():
        audio["trkn"] = [(int(text["track"].split("/")[0]), 0)]
    for key, value in extra.items():
        audio[f"----:com.apple.iTunes:{key.lower()}"] = [MP4FreeForm(value.encode())]
    if tags.cover:
        fmt = MP4Cover.FORMAT_PNG if tags.cover.mime == "image/png" else MP4Cover.FORMAT_JPEG
        audio["covr"] = [MP4Cover(tags.cover.data, imageformat=fmt)]
    audio.save()


def write_tags(path: Path, tags: Tags, extra: dict[str, str] | None = None) -> None:
    """Write `tags` (and extra free-form keys such as ReplayGain) into an MP3/OGG/M4A/FLAC."""
    extra = extra or {}
    suffix = path.suffix.lower()
    try:
        if suffix == ".mp3":
            _write_id3(path, tags, extra)
        elif suffix == ".ogg":
            _write_vorbis(OggVorbis(path), tags, extra)
        elif suffix == ".flac":
            _write_vorbis(FLAC(path), tags, extra)
        elif suffix in (".m4a", ".mp4"):
            _write_mp4(MP4(path), tags, extra)
        else:
            raise TagError(f"{path.name}: no tag writer for {suffix!r}")
    except mutagen.MutagenError as exc:
        raise TagError(f"{path.name}: cannot write tags: {exc}") from None
