"""The registry of reader kinds is the one source: config validation, the factory and
``station doctor`` all read a kind's entry, and a new kind needs nothing but its entry."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from station.core.config import StationConfig, parse_config
from station.core.errors import ConfigError
from station.core.reader_kinds import COMMON_KEYS, READER_KINDS, ReaderKey, ReaderKind, load
from station.doctor.findings import Finding, Level
from station.doctor.readers import check_readers
from station.readers import decode
from station.readers.base import BuildRequest, Reader
from station.readers.debounce import DEFAULT_WINDOW_SECONDS
from station.readers.factory import build_reader, build_readers
from station.readers.serial import TERMINATORS

PATH = Path("/etc/cantine/station.toml")
KINDS = list(READER_KINDS)


def config(*entries: Mapping[str, Any]) -> StationConfig:
    data = {
        "station": {"name": "l1", "school": "1849", "database": "/tmp/x.db"},
        "readers": [dict(e) for e in entries],
    }
    return parse_config(data, PATH)


def refused(*entries: Mapping[str, Any]) -> str:
    with pytest.raises(ConfigError) as err:
        config(*entries)
    return err.value.message


def other_value(key: ReaderKey) -> Any:
    """A valid value of ``key`` that is not its default (so defaults cannot hide a bug)."""
    if key.choices:
        return next(c for c in reversed(key.choices) if c != key.default)
    if key.value_type is bool:
        return not key.default
    if key.value_type is int:
        return 7 if key.default != 7 else 8
    if key.value_type is float:
        return 1.5
    return f"valeur-{key.name}"


def required_only(kind: ReaderKind) -> dict[str, Any]:
    return {k.name: other_value(k) for k in kind.all_keys.values() if k.required} | {
        "kind": kind.name
    }


@pytest.mark.parametrize("name", KINDS)
def test_every_kind_is_accepted_with_exactly_its_declared_keys(name: str) -> None:
    kind = READER_KINDS[name]
    entry = {k.name: other_value(k) for k in kind.all_keys.values()} | {"kind": name}
    (reader,) = config(entry).readers
    assert reader.kind == name
    assert reader.options == entry


@pytest.mark.parametrize("name", KINDS)
def test_unknown_key_names_it_and_lists_the_keys_of_that_kind(name: str) -> None:
    kind = READER_KINDS[name]
    message = refused({"kind": "wedge"}, required_only(kind) | {"couleur": "bleu"})
    allowed = ", ".join(sorted(kind.all_keys))
    assert f"clé inconnue « readers[2].couleur » (clés possibles : {allowed})" in message
    assert str(PATH) in message


@pytest.mark.parametrize("name", KINDS)
def test_keys_of_the_other_kinds_are_refused(name: str) -> None:
    own = READER_KINDS[name].all_keys
    foreign = {k.name: k for kind in READER_KINDS.values() for k in kind.keys}
    for key in (k for k in foreign.values() if k.name not in own):
        message = refused(required_only(READER_KINDS[name]) | {key.name: other_value(key)})
        assert f"« readers[1].{key.name} »" in message


@pytest.mark.parametrize("name", KINDS)
def test_unset_keys_take_their_declared_defaults(name: str) -> None:
    kind = READER_KINDS[name]
    (reader,) = config(required_only(kind)).readers
    assert reader.options == kind.defaults() | required_only(kind)


@pytest.mark.parametrize(
    ("name", "key"),
    [(n, k.name) for n in KINDS for k in READER_KINDS[n].keys if k.required],
)
def test_a_missing_required_key_is_named(name: str, key: str) -> None:
    entry = required_only(READER_KINDS[name])
    del entry[key]
    assert f"clé obligatoire manquante « readers[1].{key} »" in refused(entry)


@pytest.mark.parametrize(
    ("name", "key"),
    [(n, k) for n in KINDS for k in READER_KINDS[n].keys if k.choices],
    ids=lambda v: v if isinstance(v, str) else v.name,
)
def test_a_value_outside_the_declared_choices_is_refused_listing_them(
    name: str, key: ReaderKey
) -> None:
    message = refused(required_only(READER_KINDS[name]) | {key.name: "autre"})
    assert f"« readers[1].{key.name} » doit être l'un de {', '.join(key.choices)}" in message


def test_unknown_kind_lists_every_kind_of_the_registry() -> None:
    message = refused({"kind": "nfc"})
    assert f"doit être l'un de {', '.join(READER_KINDS)}, reçu 'nfc'" in message


# -- the factory and the doctor call what the entry names ---------------------------------


@dataclasses.dataclass
class FakeReader:
    """What a kind's constructor returns in these tests: a reader that remembers its request."""

    request: BuildRequest
    finished: threading.Event = dataclasses.field(default_factory=threading.Event)

    @property
    def name(self) -> str:
        return self.request.name

    @property
    def connected(self) -> bool:
        return False

    def start(self) -> None:
        """Nothing to start."""

    def close(self) -> None:
        """Nothing to close."""


def build_fake(request: BuildRequest) -> FakeReader:
    return FakeReader(request)


def probe_fake(label: str, options: Mapping[str, Any]) -> list[Finding]:
    return [Finding(label, Level.OK, json.dumps(dict(options), sort_keys=True), code="fake.ok")]


HERE = __name__  # the references below name this test module, however pytest imported it


def with_fakes(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    kind = dataclasses.replace(
        READER_KINDS[name], constructor=f"{HERE}:build_fake", probe=f"{HERE}:probe_fake"
    )
    monkeypatch.setitem(READER_KINDS, name, kind)


@pytest.mark.parametrize("name", KINDS)
def test_factory_builds_each_kind_with_the_constructor_its_entry_names(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (entry,) = config(required_only(READER_KINDS[name])).readers
    with_fakes(monkeypatch, name)
    reader = build_reader(entry, print, print, index=3, wedge_input="keys")
    assert isinstance(reader, FakeReader)
    assert reader.request.name == f"{name}-3"
    assert reader.request.options == entry.options
    assert reader.request.wedge_input == "keys"


@pytest.mark.parametrize("name", KINDS)
def test_the_real_constructor_of_each_kind_builds_a_reader_of_its_module(name: str) -> None:
    kind = READER_KINDS[name]
    (reader,) = build_readers(config(required_only(kind)).readers, print, print)
    assert isinstance(reader, Reader)
    assert type(reader).__module__ == kind.constructor.partition(":")[0]
    assert not reader.connected


def test_factory_fills_the_registry_defaults_of_an_entry_built_in_code() -> None:
    from station.core.config import ReaderConfig
    from station.readers.wedge import KeyWedgeReader

    entry = ReaderConfig(kind="wedge", options={"name": "clavier"})
    reader = build_reader(entry, print, print, wedge_input="keys")
    assert isinstance(reader, KeyWedgeReader)
    wedge = READER_KINDS["wedge"].all_keys
    assert reader.detector.min_length == wedge["min_length"].default
    assert reader.detector.max_interval == wedge["max_interval_ms"].default / 1000


@pytest.mark.parametrize("name", KINDS)
def test_doctor_runs_the_probe_each_kind_names_with_the_entry_options(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = required_only(READER_KINDS[name]) | {"name": "poste"}
    station = config(entry)
    with_fakes(monkeypatch, name)
    (finding,) = check_readers(station)
    assert finding.check == f"lecteur poste ({name})"
    assert json.loads(finding.detail) == station.readers[0].options


def test_a_new_kind_needs_only_its_registry_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    nfc = ReaderKind(
        "nfc",
        "lecteur de badges sans contact",
        (
            ReaderKey("port", str, "port du lecteur (obligatoire)"),
            ReaderKey("mode", str, "mode de lecture", default="auto", choices=("auto", "manuel")),
        ),
        constructor=f"{HERE}:build_fake",
        probe=f"{HERE}:probe_fake",
    )
    monkeypatch.setitem(READER_KINDS, "nfc", nfc)
    station = config({"kind": "nfc", "port": "/dev/nfc", "mode": "MANUEL"})
    options = {"kind": "nfc", "name": "", "debounce_seconds": DEFAULT_WINDOW_SECONDS}
    options |= {"port": "/dev/nfc", "mode": "manuel"}
    assert station.readers[0].options == options
    (reader,) = build_readers(station.readers, print, print)
    assert isinstance(reader, FakeReader) and reader.request.options == options
    assert [f.code for f in check_readers(station)] == ["fake.ok"]
    message = refused({"kind": "nfc", "port": "/dev/nfc", "baudrate": 9600})
    assert "(clés possibles : debounce_seconds, kind, mode, name, port)" in message


# -- the entries themselves ----------------------------------------------------------------


@pytest.mark.parametrize("name", KINDS)
def test_every_constructor_and_probe_the_registry_names_exists(name: str) -> None:
    kind = READER_KINDS[name]
    assert callable(load(kind.constructor)) and callable(load(kind.probe))


@pytest.mark.parametrize("name", KINDS)
def test_every_kind_and_key_is_explained_in_french(name: str) -> None:
    kind = READER_KINDS[name]
    assert kind.help
    for key in kind.all_keys.values():
        assert key.help, key.name
        assert key.required or isinstance(key.default, key.value_type), key.name


def test_allowed_values_agree_with_the_reader_modules() -> None:
    camera = READER_KINDS["camera"].all_keys
    assert set(camera["decoder"].choices) == set(decode.DECODERS)
    assert camera["decoder"].default == decode.DEFAULT_DECODER
    assert set(READER_KINDS["serial"].all_keys["terminator"].choices) == set(TERMINATORS)
    debounce = next(k for k in COMMON_KEYS if k.name == "debounce_seconds")
    assert debounce.default == DEFAULT_WINDOW_SECONDS


def test_an_entry_cannot_declare_a_key_twice_nor_a_default_outside_its_choices() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        ReaderKind("x", "x", (ReaderKey("name", str, "nom", default=""),), "m:f", "m:g")
    with pytest.raises(ValueError, match="choices"):
        ReaderKey("mode", str, "mode", default="auto", choices=("manuel",))


def test_building_a_serial_reader_loads_no_library_of_the_other_kinds() -> None:
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from station.core.config import parse_config\n"
        "from station.readers.factory import build_readers\n"
        "data = {'station': {'name': 'l1', 'school': '1849', 'database': '/tmp/x.db'},\n"
        "        'readers': [{'kind': 'serial', 'port': 'loop://'}]}\n"
        "build_readers(parse_config(data, Path('s.toml')).readers, print, print)\n"
        "print(json.dumps([m for m in ('serial', 'cv2', 'pyzbar', 'zxingcpp', 'evdev')"
        " if m in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == ["serial"]
