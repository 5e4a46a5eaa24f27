"""A catalog handed between processes as per-entity JSON comes back equal, with a stable digest."""

import copy
import pickle
from pathlib import Path

from openbid.catalog.errors import CatalogError
from openbid.catalog.load import load_catalog
from openbid.catalog.source import FileSource, StoreSource
from openbid.catalog.transfer import decode_catalog, encode_catalog, load_encoded

DEMO = load_catalog()


def test_round_trip_is_equal() -> None:
    encoded = encode_catalog(DEMO)
    assert decode_catalog(encoded) == DEMO
    assert decode_catalog(pickle.loads(pickle.dumps(encoded))) == DEMO


def test_digest_follows_content_only() -> None:
    assert encode_catalog(copy.deepcopy(DEMO)).digest == encode_catalog(DEMO).digest
    changed = copy.deepcopy(DEMO)
    changed.line_items[0].name = "renamed"
    assert encode_catalog(changed).digest != encode_catalog(DEMO).digest


def test_an_empty_catalog_round_trips() -> None:
    empty = DEMO.__class__()
    assert decode_catalog(encode_catalog(empty)) == empty


def test_catalog_errors_survive_pickling() -> None:
    error = pickle.loads(pickle.dumps(CatalogError("x.yaml", ["a: bad", "b: worse"])))
    assert isinstance(error, CatalogError)
    assert (error.source, error.problems) == ("x.yaml", ["a: bad", "b: worse"])


def test_sources_pickle_for_a_child_process(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        (Path(__file__).parents[3] / "src/openbid/catalog/demo-catalog.yaml").read_text()
    )
    file_source = pickle.loads(pickle.dumps(FileSource(path)))
    assert decode_catalog(load_encoded(file_source)) == DEMO
    store_source = pickle.loads(pickle.dumps(StoreSource(f"sqlite:///{tmp_path / 'c.db'}")))
    assert store_source.url == f"sqlite:///{tmp_path / 'c.db'}"
