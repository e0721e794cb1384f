from __future__ import annotations

from pathlib import Path

from stephost.discovery import discover


def touch(root: Path, rel: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")


def test_steps_and_streams_are_found_at_any_depth_under_steps_and_src(tmp_path: Path) -> None:
    for rel in [
        "steps/a.step.ts",
        "steps/deep/er/b_step.py",
        "src/c.step.js",
        "src/d_step.ts",
        "src/e_step.js",
        "src/chat.stream.ts",
        "src/chat_stream.py",
        "steps/helper.ts",
        "other/ignored.step.ts",
    ]:
        touch(tmp_path, rel)
    found = discover(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in found.steps] == [
        "steps/a.step.ts",
        "steps/deep/er/b_step.py",
        "src/c.step.js",
        "src/d_step.ts",
        "src/e_step.js",
    ]
    assert [p.name for p in found.streams] == ["chat.stream.ts", "chat_stream.py"]
    assert found.problems == []


def test_node_modules_pycache_dot_folders_and_virtualenvs_are_skipped(tmp_path: Path) -> None:
    touch(tmp_path, "steps/node_modules/x/a.step.js")
    touch(tmp_path, "steps/__pycache__/b_step.py")
    touch(tmp_path, "steps/.hidden/c.step.ts")
    touch(tmp_path, "src/env/pyvenv.cfg")
    touch(tmp_path, "src/env/lib/d_step.py")
    assert discover(tmp_path).steps == []


def test_a_dot_step_py_file_is_not_loaded_and_gets_a_rename_hint(tmp_path: Path) -> None:
    touch(tmp_path, "steps/orders.step.py")
    found = discover(tmp_path)
    assert found.steps == []
    assert len(found.problems) == 1
    assert "steps/orders.step.py" in str(found.problems[0])
    assert "rename it to orders_step.py" in str(found.problems[0])


def test_ruby_steps_are_found_by_both_suffixes(tmp_path: Path) -> None:
    for rel in ["steps/a_step.rb", "src/b.step.rb", "steps/helper.rb"]:
        touch(tmp_path, rel)
    found = discover(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in found.steps] == ["steps/a_step.rb", "src/b.step.rb"]


def test_ruby_stream_files_are_found(tmp_path: Path) -> None:
    for rel in ["steps/chat_stream.rb", "src/room.stream.rb"]:
        touch(tmp_path, rel)
    assert [p.name for p in discover(tmp_path).streams] == ["chat_stream.rb", "room.stream.rb"]
