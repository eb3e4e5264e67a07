"""The layer checks: a module counts only with a Python 3.13, unchecked-hash .pyc beside it; every template has its
compiled module."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from jinja2 import ModuleLoader

from bench import layer
from bench.layer import PYTHON_313_MAGIC, PYTHON_313_TAG, UNCHECKED_HASH_FLAGS, bytecode, uncompiled_templates


def module(folder: Path, name: str, magic: bytes | None = PYTHON_313_MAGIC, flags: int = UNCHECKED_HASH_FLAGS) -> None:
    (folder / f"{name}.py").write_text("VALUE = 1\n")
    if magic is not None:
        cache = folder / "__pycache__"
        cache.mkdir(exist_ok=True)
        (cache / f"{name}.{PYTHON_313_TAG}.pyc").write_bytes(magic + flags.to_bytes(4, "little") + bytes(8))


def test_the_magic_number_is_python_313s() -> None:
    assert int.from_bytes(PYTHON_313_MAGIC[:2], "little") == 3571
    assert PYTHON_313_MAGIC[2:] == b"\r\n"


def test_a_layer_compiled_by_python_313_with_unchecked_hashes_passes(tmp_path: Path) -> None:
    module(tmp_path, "lead")
    module(tmp_path, "rep")

    assert bytecode(tmp_path) == {"modules": 2, "compiled_for_313": 2, "problems": []}


def test_missing_bytecode_another_pythons_magic_and_timestamp_pycs_are_each_named(tmp_path: Path) -> None:
    # Given one good module, one without bytecode, one compiled by this interpreter, one checked by timestamp
    module(tmp_path, "good")
    module(tmp_path, "bare", magic=None)
    module(tmp_path, "other", magic=b"\x00\x00\r\n" if importlib.util.MAGIC_NUMBER == PYTHON_313_MAGIC
           else importlib.util.MAGIC_NUMBER)
    module(tmp_path, "stamped", flags=0)

    # When the layer is checked
    found = bytecode(tmp_path)

    # Then only the good one counts, and each problem names its file
    assert (found["modules"], found["compiled_for_313"]) == (4, 1)
    assert sorted(problem.split(":")[0] for problem in found["problems"]) == [
        "__pycache__/other.cpython-313.pyc", "__pycache__/stamped.cpython-313.pyc", "bare.py"]


def test_a_template_without_its_compiled_module_is_named(tmp_path: Path) -> None:
    # Given a layer whose build compiled the templates, then lost one of them
    pages = tmp_path / "leadwire" / "pages"
    for name in ("email/new_owner.txt", "email/new_owner.html", "lead.html"):
        (pages / "templates" / name).parent.mkdir(parents=True, exist_ok=True)
        (pages / "templates" / name).write_text("{{ lead.id }}\n")
    compiled = pages / "compiled"
    compiled.mkdir()
    for name in ("email/new_owner.txt", "lead.html"):
        (compiled / ModuleLoader.get_module_filename(name)).write_text("")

    # Then the check names the one left
    assert uncompiled_templates(tmp_path) == ["email/new_owner.html"]


def test_a_built_layer_older_than_its_sources_is_not_measured_but_built_again(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # Given sources changed at t=200, a sam build from t=100 and the bench's own build from t=300
    sources, sam, own = tmp_path / "src", tmp_path / "sam", tmp_path / "own"
    for folder, moment in ((sources, 200), (sam / "python", 100), (own / "python", 300)):
        folder.mkdir(parents=True)
        (folder / "file.py").write_text("")
        for path in (folder / "file.py", folder):
            os.utime(path, (moment, moment))
    built: list[Path] = []
    monkeypatch.setattr(layer, "SOURCES", sources)
    monkeypatch.setattr(layer, "SAM_BUILD", sam)
    monkeypatch.setattr(layer, "OWN_BUILD", own)
    monkeypatch.setattr(layer, "build", lambda: built.append(own) or own)

    # Then the stale sam build is passed over for the bench's newer one
    assert layer.built_layer() == (own, "layers/common/Makefile into bench/results/layer")

    # And once the sources change again, neither will do: the layer is built afresh
    os.utime(sources / "file.py", (400, 400))
    folder, origin = layer.built_layer()
    assert (folder, built) == (own, [own]) and "built now" in origin


def test_the_runtime_rehearsal_runs_isolated_without_writing_bytecode_on_lambdas_path(tmp_path: Path) -> None:
    from bench.coldruntime import child_command, runtime_env, runtime_sys_path

    command = child_command("/py313", tmp_path / "spec.json", tmp_path / "out.json")
    path = runtime_sys_path(Path("/var/task"), Path("/opt"), Path("/var/runtime"))
    env = runtime_env({"TABLE_NAME": "leads", "PYTHONPATH": "/repo"}, "http://127.0.0.1:5000", "arn:secret",
                      ["LEADWIRE_SECRET_ARN"], "IntakeFunction")

    assert command[:3] == ["/py313", "-I", "-B"]
    assert path == ["/var/task", "/opt/python", "/var/runtime"]  # the function, the layer, then the runtime's boto3
    assert env == {"TABLE_NAME": "leads", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
                   "LEADWIRE_SECRET_ARN": "arn:secret",  # the secret, when the template gives it one
                   "AWS_LAMBDA_FUNCTION_NAME": "IntakeFunction"}  # as Lambda names it: the handler primes


def test_the_rehearsal_layer_is_a_read_only_copy_with_or_without_its_bytecode(tmp_path: Path) -> None:
    import os

    from bench.coldruntime import read_only_copy, writable_again

    built = tmp_path / "built" / "python"
    built.mkdir(parents=True)
    module(built, "lead")

    kept = read_only_copy(tmp_path / "built", tmp_path / "opt")
    stripped = read_only_copy(tmp_path / "built", tmp_path / "opt-bare", keep_bytecode=False)

    assert bytecode(kept / "python")["compiled_for_313"] == 1
    assert bytecode(stripped / "python") == {"modules": 1, "compiled_for_313": 0,
                                             "problems": ["lead.py: no lead.cpython-313.pyc"]}
    assert not any(os.stat(path).st_mode & 0o222 for path in [kept, *kept.rglob("*")])
    writable_again(tmp_path)


def test_the_rehearsal_summary_sets_wall_and_cpu_time_beside_their_floors() -> None:
    from bench.coldruntime import summarise

    # Given three cold starts (import, first event, the moto server's share of it, and the CPU this process used)
    runs = [{"import_ms": 300.0, "first_event_ms": 100.0, "aws_wait_ms": 40.0, "aws_calls": 3, "cpu_ms": 330.0},
            {"import_ms": 320.0, "first_event_ms": 110.0, "aws_wait_ms": 30.0, "aws_calls": 3, "cpu_ms": 340.0},
            {"import_ms": 500.0, "first_event_ms": 100.0, "aws_wait_ms": 20.0, "aws_calls": 3, "cpu_ms": 350.0}]

    # When they are summarised against a floor of 250 ms wall and 220 ms CPU
    found = summarise(runs, 250.0, 220.0)

    # Then each figure is a median, AWS's time left out, and each ratio is to its own floor
    assert (found["ms"], found["ratio"], found["goal_met"]) == (400.0, 1.6, False)
    assert (found["cpu_ms"], found["floor_cpu_ms"], found["cpu_ratio"]) == (340.0, 220.0, 1.55)
    assert found["runs_ms"] == [360.0, 400.0, 580.0]
    assert "cpu_ms" not in summarise(runs[:1], 250.0)  # without a CPU floor, no CPU figures


def test_on_lambda_the_import_runs_on_a_full_vcpu_and_the_first_event_on_the_memorys_share() -> None:
    from bench.coldruntime import on_lambda_ms

    # 256 MB is 256/1769 of a vCPU: the first event's 100 ms take 691 ms, the import's 300 ms stay 300
    assert on_lambda_ms(300.0, 100.0, 256) == 991.0
    # from 1,769 MB on, a full vCPU for both
    assert on_lambda_ms(300.0, 100.0, 1769) == on_lambda_ms(300.0, 100.0, 3008) == 400.0
