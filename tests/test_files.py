"""causal_gym.files: atomic writes leave either the old file or the new one, never a part."""

import json
import os

import pytest

from causal_gym import files


def test_atomic_write_replaces_the_file_with_a_plain_mode(tmp_path) -> None:
    target = tmp_path / "out.json"
    files.write_json(target, {"a": 1})
    files.atomic_write(target, b"\x00bytes")
    assert target.read_bytes() == b"\x00bytes"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_a_failed_write_keeps_the_old_file_and_no_temporary(tmp_path, monkeypatch) -> None:
    target = tmp_path / "out.json"
    files.write_json(target, {"kept": True})

    def broken_disk(descriptor: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "fsync", broken_disk)
    with pytest.raises(OSError, match="disk full"):
        files.write_json(target, {"kept": False})
    assert json.loads(target.read_text()) == {"kept": True}
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
