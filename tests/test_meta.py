"""meta.json is read and written through one typed record (layout.IndexMeta), and read only when sound."""

import json

import pytest

from indexer.engine import integrity, layout
from indexer.engine.checksums import seal, unseal
from indexer.engine.errors import IndexDamaged, IndexNotFound


@pytest.fixture()
def generation(index_dir, tmp_path):
    """A copy of the live generation of the index fixture (in either shape), to rewrite its meta.json."""
    import shutil

    target = tmp_path / layout.current_generation(index_dir).name
    shutil.copytree(layout.current_generation(index_dir), target)
    return target


def rewrite(generation, change) -> None:
    path = generation / layout.META
    data = json.loads(unseal(path.read_text(encoding="utf-8")))
    change(data)
    path.write_text(seal(json.dumps(data, ensure_ascii=False)), encoding="utf-8")


def test_meta_reads_back_as_written(generation):
    meta = layout.read_meta(generation)
    assert meta.generation == generation.name and meta.paragraphs == sum(s.paragraphs for s in meta.segments)
    layout.write_meta(generation, meta)
    assert layout.read_meta(generation) == meta
    raw = json.loads(unseal((generation / layout.META).read_text(encoding="utf-8")))
    assert raw["reports"] == len(meta.live) == meta.reports
    assert [s["dir"] for s in raw["segments"]] == [s.dir for s in meta.segments]


def test_a_meta_of_another_format_is_not_read_and_says_rebuild(generation):
    rewrite(generation, lambda data: data.update(format=layout.FORMAT_VERSION - 1))
    assert layout.read_meta(generation) is None
    with pytest.raises(IndexNotFound, match="built by another version"):
        integrity.read_meta(generation)


def test_a_meta_that_lacks_a_field_is_damage(generation):
    rewrite(generation, lambda data: data.pop("live_fields"))
    assert layout.read_meta(generation) is None
    with pytest.raises(IndexDamaged, match="lacks 'live_fields'"):
        integrity.read_meta(generation)
