"""The `searchkit index` and `searchkit stats` commands, run as a user runs them (subprocess)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from index_helpers import (
    FIXTURE_ARTICLES,
    FIXTURE_DOCUMENTS,
    FIXTURE_SEEDS,
    FIXTURE_STUBS,
    INDEX_JSON_KEYS,
    STATS_JSON_KEYS,
    related,
    run_cli,
    seed_text,
    snapshot,
    stored_docs,
    write_file,
)

import searchkit
from searchkit.cli import build_parser


def _folder(root: Path, n: int = 2) -> Path:
    seeds = root / "seeds"
    for i in range(n):
        write_file(
            seeds / f"s{i}.md",
            seed_text(
                f"Seed number {i}",
                f"https://cli.example/{i}",
                topics=["CLI"],
                related=[related("Shared", "https://cli.example/shared")],
            ),
        )
    return seeds


# --- index --json ---------------------------------------------------------------------------------


def test_index_json_has_the_keys_of_the_issue(tmp_path: Path):
    seeds = _folder(tmp_path)
    result = run_cli("index", "--seeds", seeds, "--index", tmp_path / "index", "--json")
    assert result.code == 0, result.stderr
    assert result.stdout.count("\n") == 1  # one JSON object on one line
    report = result.json()
    for key, kind in INDEX_JSON_KEYS.items():
        assert isinstance(report[key], kind), key
    assert (report["added"], report["updated"], report["removed"], report["unchanged"]) == (
        2,
        0,
        0,
        0,
    )
    assert (report["documents"], report["articles"], report["related"]) == (3, 2, 1)
    assert report["errors"] == [] and report["stale"] == []
    assert report["seconds"] >= 0


def test_index_json_lists_errors_and_stale_seeds_with_relative_paths(tmp_path: Path):
    seeds = _folder(tmp_path)
    write_file(seeds / "sub" / "victim.md", seed_text("Victim", "https://cli.example/v"))
    index = tmp_path / "index"
    assert run_cli("index", "--seeds", seeds, "--index", index).code == 0
    write_file(seeds / "sub" / "victim.md", b"---\ntitle: [\n---\n")
    write_file(seeds / "sub" / "never.md", b"")
    result = run_cli("index", "--index", index, "--json")
    assert result.code == 3
    report = result.json()
    assert {e["path"] for e in report["errors"]} == {"sub/victim.md", "sub/never.md"}
    assert all(set(e) >= {"path", "error"} and e["error"] for e in report["errors"])
    assert report["stale"] == ["sub/victim.md"]
    # Neither broken file is indexed as it is: both are errors, in none of the other counts.
    assert (report["added"], report["updated"], report["unchanged"]) == (0, 0, 2)
    assert report["seed_files"] == 4 and report["renamed"] == 0
    assert report["documents"] == 4  # the stale article is still there


def test_index_human_output_and_quiet(tmp_path: Path):
    seeds = _folder(tmp_path)
    index = tmp_path / "index"
    result = run_cli("index", "--seeds", seeds, "--index", index)
    assert result.code == 0
    assert "3 documents (2 articles, 1 related document)" in result.stdout
    assert result.stderr == ""
    result = run_cli("index", "--index", index)
    assert result.code == 0 and "up to date" in result.stdout
    quiet = run_cli("index", "--index", index, "--quiet")
    assert (quiet.code, quiet.stdout, quiet.stderr) == (0, "", "")
    write_file(seeds / "broken.md", b"no frontmatter at all")
    quiet = run_cli("index", "--index", index, "-q")
    assert quiet.code == 3
    assert quiet.stdout == ""
    assert quiet.stderr.startswith("skipped: broken.md: no YAML frontmatter")


def test_control_characters_from_seeds_never_reach_the_terminal_raw(tmp_path: Path):
    seeds = _folder(tmp_path)
    write_file(seeds / "evil\x1b[31m.md", b"---\ntitle: [\x1b[2J\n---\n")
    result = run_cli("index", "--seeds", seeds, "--index", tmp_path / "index")
    assert result.code == 3
    assert "\x1b" not in result.stdout + result.stderr
    assert "evil\\x1b[31m.md" in result.stderr


# --- dry run --------------------------------------------------------------------------------------


def test_dry_run_of_a_new_index_writes_nothing(tmp_path: Path):
    seeds = _folder(tmp_path)
    index = tmp_path / "index"
    result = run_cli("index", "--seeds", seeds, "--index", index, "--dry-run", "--json")
    assert result.code == 0, result.stderr
    assert not index.exists()
    dry = result.json()
    real = run_cli("index", "--seeds", seeds, "--index", index, "--json").json()
    keys = ("added", "updated", "removed", "unchanged", "documents", "articles", "related")
    assert [dry[k] for k in keys] == [real[k] for k in keys] == [2, 0, 0, 0, 3, 2, 1]


def test_dry_run_of_an_existing_index_writes_nothing(tmp_path: Path):
    seeds = _folder(tmp_path)
    index = tmp_path / "index"
    run_cli("index", "--seeds", seeds, "--index", index)
    write_file(
        seeds / "new.md",
        seed_text(
            "New",
            "https://cli.example/new",
            related=[related("Other", "https://cli.example/other")],
        ),
    )
    (seeds / "s0.md").unlink()
    before = snapshot(index)
    result = run_cli("index", "--index", index, "--dry-run", "--json")
    assert result.code == 0
    assert snapshot(index) == before  # not even the lock file is touched
    dry = result.json()
    assert dry["dry_run"] is True
    assert (dry["added"], dry["removed"], dry["documents"], dry["related"]) == (1, 1, 4, 2)
    human = run_cli("index", "--index", index, "--dry-run")
    assert "Dry run" in human.stdout and "would add 1" in human.stdout
    assert snapshot(index) == before
    assert run_cli("index", "--index", index, "--json").json()["documents"] == 4


# --- stats ----------------------------------------------------------------------------------------


def test_stats_json_has_the_keys_of_the_issue(fixture_index: Path):
    result = run_cli("stats", "--index", fixture_index, "--json")
    assert result.code == 0, result.stderr
    stats = result.json()
    assert set(stats) >= STATS_JSON_KEYS
    assert (stats["documents"], stats["articles"], stats["related"]) == (
        FIXTURE_DOCUMENTS,
        FIXTURE_ARTICLES,
        FIXTURE_STUBS,
    )
    assert stats["seeds"] == str(FIXTURE_SEEDS)
    assert stats["stale"] == [] and stats["errors"] == []
    assert isinstance(stats["size_bytes"], int) and stats["size_bytes"] > 0
    assert stats["earliest"] < stats["latest"]
    assert stats["earliest"].endswith("Z") and stats["last_build"].endswith("Z")
    expected = searchkit.index_stats(fixture_index).to_dict()
    assert {k: stats[k] for k in STATS_JSON_KEYS} == {k: expected[k] for k in STATS_JSON_KEYS}


def test_stats_json_lists_stale_and_invalid_seeds(tmp_path: Path):
    seeds = _folder(tmp_path)
    index = tmp_path / "index"
    run_cli("index", "--seeds", seeds, "--index", index)
    write_file(seeds / "s1.md", b"")
    write_file(seeds / "bad.md", b"---\n[1]\n---\n")
    assert run_cli("index", "--index", index).code == 3
    stats = run_cli("stats", "--index", index, "--json").json()
    assert stats["stale"] == ["s1.md"]
    assert [i["path"] for i in stats["errors"]] == ["bad.md"]
    assert "mapping" in stats["errors"][0]["error"]
    human = run_cli("stats", "--index", index)
    assert human.code == 0
    assert "s1.md" in human.stdout and "bad.md" in human.stdout


def test_stats_of_a_missing_index_exits_1(tmp_path: Path):
    result = run_cli("stats", "--index", tmp_path / "none")
    assert result.code == 1
    assert "no index" in result.stderr and "searchkit index" in result.stderr


# --- which seeds folder ---------------------------------------------------------------------------


def test_pointing_an_index_at_another_folder_is_refused_without_full(
    fixture_index_copy: Path, tmp_path: Path
):
    other = _folder(tmp_path / "other")
    before = snapshot(fixture_index_copy, skip={"write.lock"})
    result = run_cli("index", "--seeds", other, "--index", fixture_index_copy)
    assert result.code == 1
    assert str(FIXTURE_SEEDS) in result.stderr and str(other) in result.stderr
    assert "--full" in result.stderr
    assert snapshot(fixture_index_copy, skip={"write.lock"}) == before
    assert searchkit.index_stats(fixture_index_copy).documents == FIXTURE_DOCUMENTS
    with pytest.raises(searchkit.SeedsMismatchError):
        searchkit.build_index(other, fixture_index_copy)


def test_full_switches_the_index_to_another_folder(fixture_index_copy: Path, tmp_path: Path):
    other = _folder(tmp_path / "other")
    result = run_cli("index", "--seeds", other, "--index", fixture_index_copy, "--full", "--json")
    assert result.code == 0, result.stderr
    report = result.json()
    assert (report["documents"], report["articles"], report["related"]) == (3, 2, 1)
    assert report["removed"] == FIXTURE_ARTICLES and report["added"] == 2
    stats = searchkit.index_stats(fixture_index_copy)
    assert stats.seeds == str(other.resolve())
    assert set(stored_docs(fixture_index_copy)) == {
        "https://cli.example/0",
        "https://cli.example/1",
        "https://cli.example/shared",
    }
    # From now on the index follows the new folder.
    write_file(other / "s9.md", seed_text("Later", "https://cli.example/9"))
    assert run_cli("index", "--index", fixture_index_copy, "--json").json()["added"] == 1


def test_index_remembers_its_seeds_folder(tmp_path: Path):
    seeds = _folder(tmp_path / "project")
    index = tmp_path / "project" / "index"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert (
        run_cli("index", "--seeds", "seeds", "--index", "index", cwd=tmp_path / "project").code == 0
    )
    write_file(seeds / "s5.md", seed_text("Added later", "https://cli.example/5"))
    result = run_cli("index", "--index", index, "--json", cwd=elsewhere)
    assert result.code == 0, result.stderr
    assert result.json()["added"] == 1
    assert result.json()["seeds_dir"] == str(seeds.resolve())


def test_defaults_are_seeds_and_index_in_the_current_folder(tmp_path: Path):
    _folder(tmp_path)
    result = run_cli("index", "--json", cwd=tmp_path)
    assert result.code == 0, result.stderr
    assert (tmp_path / "index" / "CURRENT").exists()
    stats = run_cli("stats", "--json", cwd=tmp_path)
    assert stats.code == 0
    assert stats.json()["seeds"] == str((tmp_path / "seeds").resolve())
    assert stats.json()["documents"] == 3


def test_environment_variables_choose_the_folders_and_flags_win(tmp_path: Path):
    seeds = _folder(tmp_path / "data")
    env = {"SEARCHKIT_SEEDS": str(seeds), "SEARCHKIT_INDEX": str(tmp_path / "env-index")}
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    result = run_cli("index", "--json", cwd=cwd, env=env)
    assert result.code == 0, result.stderr
    assert (tmp_path / "env-index" / "CURRENT").exists()
    assert not (cwd / "index").exists()
    assert run_cli("stats", "--json", cwd=cwd, env=env).json()["documents"] == 3
    # A flag beats the environment.
    assert run_cli("index", "--index", tmp_path / "flag-index", cwd=cwd, env=env).code == 0
    assert (tmp_path / "flag-index" / "CURRENT").exists()
    # SEARCHKIT_SEEDS naming another folder for an existing index is refused like --seeds.
    other = _folder(tmp_path / "other")
    refused = run_cli("index", cwd=cwd, env={**env, "SEARCHKIT_SEEDS": str(other)})
    assert refused.code == 1 and "--full" in refused.stderr


# --- exit status and help -------------------------------------------------------------------------


def test_missing_seeds_folder_exits_1(tmp_path: Path):
    result = run_cli("index", "--seeds", tmp_path / "nope", "--index", tmp_path / "index")
    assert result.code == 1
    assert "nope" in result.stderr and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["index", "--no-such-option"],
        ["index", "--wait", "soon"],
        ["stats", "--full"],
        ["no-such-command"],
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]):
    result = run_cli(*args, cwd=tmp_path)
    assert result.code == 2
    assert "usage:" in result.stderr


def _commands() -> list[str]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return sorted(sub.choices)


@pytest.mark.parametrize("command", [[], *([c] for c in _commands())])
def test_every_command_has_help(tmp_path: Path, command: list[str]):
    result = run_cli(*command, "--help", cwd=tmp_path)
    assert result.code == 0
    assert result.stdout.startswith("usage: searchkit")
    assert result.stderr == ""


def test_index_and_stats_are_commands():
    assert {"index", "stats"} <= set(_commands())


def test_the_config_file_names_the_folders_flags_and_variables_win(tmp_path: Path) -> None:
    """Precedence: flag, then SEARCHKIT_*, then the config file's [index], then defaults."""
    seeds = tmp_path / "seeds"
    write_file(seeds / "a.md", seed_text("Alpha", "https://x.example/a"))
    other = tmp_path / "other"
    write_file(other / "b.md", seed_text("Beta", "https://x.example/b"))
    config = tmp_path / "xdg" / "searchkit" / "config.toml"
    config.parent.mkdir(parents=True)
    configured = tmp_path / "configured"
    config.write_text(f'[index]\nindex = "{configured}"\nseeds = "{seeds}"\n', encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}

    def titles(*args: str | Path, extra: dict[str, str] | None = None) -> list[str]:
        fields = ("--format", "jsonl", "--fields", "title")
        result = run_cli("search", "*", *fields, *args, cwd=work, env={**env, **(extra or {})})
        assert result.code == 0, result.stderr
        return [json.loads(line)["title"] for line in result.stdout.splitlines()]

    assert run_cli("index", cwd=work, env=env).code == 0
    assert (configured / "CURRENT").exists() and not (work / "index").exists()
    assert titles() == ["Alpha"]
    variables = {"SEARCHKIT_INDEX": str(tmp_path / "by-env"), "SEARCHKIT_SEEDS": str(other)}
    assert run_cli("index", cwd=work, env={**env, **variables}).code == 0
    assert titles(extra=variables) == ["Beta"]
    assert titles("--index", configured, extra=variables) == ["Alpha"]


def test_jobs_sets_the_processes_of_a_full_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import searchkit.build
    from searchkit import cli

    seeds = _folder(tmp_path)
    asked: list[int | None] = []
    real = searchkit.build.build_index

    def spy(*args, options, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(options.jobs)
        return real(*args, options=options, **kwargs)

    monkeypatch.setattr(searchkit.build, "build_index", spy)
    assert (
        cli.main(["index", "--seeds", str(seeds), "--index", str(tmp_path / "i"), "-j", "3"]) == 0
    )
    assert cli.main(["index", "--index", str(tmp_path / "i"), "--full", "-q"]) == 0
    assert asked == [3, None]  # None: the usable cores (build.options.jobs_for)
    one = run_cli("index", "--seeds", seeds, "--index", tmp_path / "one", "--jobs", "1", "--json")
    two = run_cli("index", "--seeds", seeds, "--index", tmp_path / "two", "-j", "2", "--json")
    assert one.code == two.code == 0
    keys = ("added", "documents", "articles", "related")
    assert [one.json()[k] for k in keys] == [two.json()[k] for k in keys]
    bad = run_cli("index", "--seeds", seeds, "--index", tmp_path / "bad", "--jobs", "0")
    assert bad.code == 2 and "not positive" in bad.stderr
    assert not (tmp_path / "bad").exists()
