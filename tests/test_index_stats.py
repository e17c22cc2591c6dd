"""`index_stats`: counts, date span, providers and topics, checked against a recount."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from index_helpers import (
    FIXTURE_SEEDS,
    fixture_expected,
    fixture_metas,
    related,
    seed_text,
    write_file,
)

import searchkit


def test_fixture_stats_match_an_independent_recount(fixture_index: Path):
    expected = fixture_expected()
    metas = [fixture_metas()[p] for p in expected.articles.values()]
    entries = [r for m in metas for r in m.get("related") or []]
    topics = {t.casefold() for m in metas for t in m.get("topics") or []}
    providers = {" ".join(x["provider"]["name"].split()).casefold() for x in [*metas, *entries]}
    dates = [x["publishedDateTime"] for x in [*metas, *entries]]
    stats = searchkit.index_stats(fixture_index)
    assert stats.topics == len(topics)
    assert stats.providers == len(providers)
    assert stats.earliest == min(dates).astimezone(UTC)
    assert stats.latest == max(dates).astimezone(UTC)
    assert stats.seeds == str(FIXTURE_SEEDS)
    assert stats.index == str(fixture_index.resolve())
    assert stats.size_bytes > 100_000
    assert stats.last_build is not None
    assert abs((datetime.now(UTC) - stats.last_build).total_seconds()) < 3600
    assert stats.schema_version


def test_stats_of_a_missing_index_raise_index_not_found(tmp_path: Path):
    with pytest.raises(searchkit.IndexNotFoundError, match="no index at"):
        searchkit.index_stats(tmp_path / "nothing-here")


def test_stats_count_topics_and_providers_case_insensitively(tmp_path: Path):
    seeds = tmp_path / "seeds"
    write_file(
        seeds / "a.md",
        seed_text(
            "A",
            "https://t.example/a",
            topics=["AI", "Politics"],
            provider={"name": "Reuters", "domain": "reuters.com"},
        ),
    )
    write_file(
        seeds / "b.md",
        seed_text(
            "B",
            "https://t.example/b",
            topics=["ai"],
            provider={"name": "REUTERS", "domain": "reuters.com"},
            related=[related("S", "https://s.example/1", provider={"name": "AP  News"})],
        ),
    )
    searchkit.build_index(seeds, tmp_path / "index")
    stats = searchkit.index_stats(tmp_path / "index")
    assert (stats.documents, stats.articles, stats.related) == (3, 2, 1)
    assert stats.topics == 2
    assert stats.providers == 2


def test_stats_date_span_ignores_documents_without_a_date(tmp_path: Path):
    seeds = tmp_path / "seeds"
    write_file(
        seeds / "a.md",
        seed_text("Dated", "https://d.example/a", publishedDateTime="2020-01-02T03:04:05Z"),
    )
    write_file(seeds / "b.md", seed_text("Undated", "https://d.example/b", publishedDateTime=None))
    searchkit.build_index(seeds, tmp_path / "index")
    stats = searchkit.index_stats(tmp_path / "index")
    assert stats.earliest == stats.latest == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_stats_after_an_incremental_build_that_adds_an_undated_seed(tmp_path: Path):
    seeds = tmp_path / "seeds"
    for i in range(3):
        write_file(
            seeds / f"{i}.md",
            seed_text(
                f"Dated {i}",
                f"https://d.example/{i}",
                publishedDateTime=f"2020-01-0{i + 1}T00:00:00Z",
            ),
        )
    searchkit.build_index(seeds, tmp_path / "index")
    write_file(
        seeds / "undated.md", seed_text("Undated", "https://d.example/u", publishedDateTime=None)
    )
    searchkit.build_index(seeds, tmp_path / "index")
    stats = searchkit.index_stats(tmp_path / "index")
    assert stats.documents == 4
    assert stats.earliest == datetime(2020, 1, 1, tzinfo=UTC)
    assert stats.latest == datetime(2020, 1, 3, tzinfo=UTC)


def test_stats_after_an_incremental_build_of_dated_seeds(tmp_path: Path):
    seeds = tmp_path / "seeds"
    write_file(
        seeds / "a.md",
        seed_text("A", "https://d.example/a", publishedDateTime="2020-06-01T00:00:00Z"),
    )
    searchkit.build_index(seeds, tmp_path / "index")
    write_file(
        seeds / "b.md",
        seed_text("B", "https://d.example/b", publishedDateTime="2019-06-01T00:00:00+02:00"),
    )
    write_file(
        seeds / "c.md", seed_text("C", "https://d.example/c", publishedDateTime="2022-06-01")
    )
    searchkit.build_index(seeds, tmp_path / "index")
    stats = searchkit.index_stats(tmp_path / "index")
    assert stats.documents == 3
    assert stats.earliest == datetime(2019, 5, 31, 22, 0, tzinfo=UTC)
    assert stats.latest == datetime(2022, 6, 1, tzinfo=UTC)
