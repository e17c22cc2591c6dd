"""Seed parsing: every field of the real seed, URL normalisation and timestamps
(docs/DOCUMENTS.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from index_helpers import REAL_SEED, seed_text, stored_docs

import searchkit
from searchkit.documents import Image, Provider, normalize_url, parse_seed_bytes, parse_seed_text

SECURED_PREFIX = "MsEcC9Bh/f5NovTXMoFDtAqbM22c7jZZoaDVsr35"


@pytest.fixture(scope="module")
def real_seed():
    return parse_seed_bytes("000_2582ab03df94a065.txt", REAL_SEED.read_bytes())


# --- the real seed, field by field ----------------------------------------------------------------


def test_real_seed_article_fields(real_seed):
    s = real_seed
    assert s.path == "000_2582ab03df94a065.txt"
    assert s.title == "Pressure grows on banks to abandon facial recognition tech"
    assert s.excerpt == (
        "Citing the risk of bias and misidentification, cities and civil liberties groups are "
        "calling more loudly for a ban on the use of face scans."
    )
    assert s.body == ""
    assert s.topics == ("Computer Vision", "AI")
    assert s.provider == Provider(name="American Banker", domain="americanbanker.com")
    assert s.published == datetime(2021, 5, 3, 18, 50, tzinfo=UTC)
    assert s.published.utcoffset().total_seconds() == 0
    url = "https://www.americanbanker.com/news/pressure-grows-on-banks-to-abandon-facial-recognition-tech"
    assert s.web_url == url
    assert s.original_url == url
    assert s.identity == url
    assert s.amp_url is None and s.cdn_amp_url is None
    assert (s.category, s.type) == ("news", "article")
    assert (s.quality, s.heat, s.published_flag) == (39, -1, False)


def test_real_seed_images(real_seed):
    assert real_seed.images == (
        Image(
            url="https://arizent.brightspotcdn.com/dims4/default/73f29ba/2147483647/strip/true/"
            "crop/4800x2520+0+90/resize/1200x630!/quality/90/?url=https%3A%2F%2Fsource-media-"
            "brightspot.s3.amazonaws.com%2Fdb%2F7d%2F24c099b84f4c91c3d81fc93e68e3%2Fab-050321-"
            "face-2.jpeg",
            width=1200,
            height=630,
            is_cached=True,
        ),
    )


def test_real_seed_related_entries(real_seed):
    rel = real_seed.related
    assert [r.title for r in rel] == [
        "False facial recognition sends innocent man to jail",
        "False facial recognition sends innocent New Jersey man to jail",
        "San Diego Held Back Materials Sought by Congress on Facial Recognition",
        "What cities must do to responsibly deploy facial recognition solutions",
        "King County government must turn its back on facial recognition technology",
    ]
    # One trailing "/" of a non-root path is dropped.
    assert [r.url for r in rel] == [
        "https://www.kcrg.com/video/2021/04/29/false-facial-recognition-sends-innocent-man-jail",
        "https://www.hawaiinewsnow.com/2021/04/29/false-facial-recognition-sends-innocent-new-jersey-man-jail",
        "https://www.voiceofsandiego.org/topics/government/san-diego-held-back-materials-sought-by-congress-on-facial-recognition",
        "https://gcn.com/articles/2021/04/29/nlc-facial-recognition.aspx",
        "https://www.seattletimes.com/opinion/king-county-government-must-turn-its-back-on-facial-recognition-technology",
    ]
    assert [r.provider for r in rel] == [
        Provider("ABC Kcrg 9", "kcrg.com"),  # "ABC Kcrg  9" in the file: spaces collapsed
        Provider("KHNL", "hawaiinewsnow.com"),
        Provider("Voice of San Diego", "voiceofsandiego.org"),
        Provider("GCN", "gcn.com"),
        Provider("Seattle Times", "seattletimes.com"),
    ]
    assert [r.published for r in rel] == [
        datetime(2021, 4, 29, 21, 25, tzinfo=UTC),
        datetime(2021, 4, 29, 19, 35, tzinfo=UTC),
        datetime(2021, 5, 3, 11, 0, tzinfo=UTC),
        datetime(2021, 4, 29, 20, 46, tzinfo=UTC),
        datetime(2021, 4, 30, 20, 51, tzinfo=UTC),
    ]
    assert [r.quality for r in rel] == [54, 54, 41, 39, 39]
    assert {r.type for r in rel} == {"article"}
    assert rel[0].excerpt == "False positive facial recognition match sends innocent man to jail."
    assert rel[0].images == (
        Image(
            url="https://gray-kcrg-prod.cdn.arcpublishing.com/resizer/izHWKfiY3Yavrd_a-1FVon_6QbA=/"
            "980x0/smart/do0bihdskp9dy.cloudfront.net/04-29-2021/"
            "t_34b2f0ea45674bcfa09f133a0aa62dd8_name_Capture.PNG",
            width=980,
            height=548,
            is_cached=True,
        ),
    )
    assert [len(r.images) for r in rel] == [1, 1, 1, 1, 0]
    assert rel[4].amp_url == (
        "https://www.seattletimes.com/opinion/"
        "king-county-government-must-turn-its-back-on-facial-recognition-technology/?amp=1"
    )
    assert [r.amp_url for r in rel[:4]] == [None] * 4
    assert real_seed.related_keys() == tuple(r.url for r in rel)


def test_real_seed_secured_is_dropped(real_seed):
    assert not any(SECURED_PREFIX in repr(v) for v in (real_seed, *real_seed.related))
    assert not hasattr(real_seed, "secured")


def test_real_seed_text_and_bytes_parse_alike(real_seed):
    text = REAL_SEED.read_text(encoding="utf-8")
    assert parse_seed_text(real_seed.path, text) == real_seed


def test_real_seed_index_holds_article_and_five_stubs_without_secured(tmp_path: Path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / REAL_SEED.name).write_bytes(REAL_SEED.read_bytes())
    report = searchkit.build_index(seeds, tmp_path / "index")
    assert (report.documents, report.articles, report.related) == (6, 1, 5)
    docs = stored_docs(tmp_path / "index")
    kcrg = docs[
        "https://www.kcrg.com/video/2021/04/29/false-facial-recognition-sends-innocent-man-jail"
    ]
    assert kcrg["kind"] == "related"
    assert kcrg["data"]["provider"] == ["ABC Kcrg 9", "kcrg.com"]
    assert kcrg["data"]["topics"] == ["Computer Vision", "AI"]  # inherited from the citing seed
    assert kcrg["published"] == datetime(2021, 4, 29, 21, 25)  # stored as naive UTC
    assert SECURED_PREFIX not in repr(docs)
    for path in (tmp_path / "index").rglob("*"):
        if path.is_file():
            assert SECURED_PREFIX.encode() not in path.read_bytes(), path


# --- URL normalisation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://example.com/a/b", "https://example.com/a/b"),
        ("  https://example.com/a  ", "https://example.com/a"),  # spaces stripped
        ("HTTPS://WWW.Example.COM/Path/Page", "https://www.example.com/Path/Page"),  # path kept
        ("https://example.com/a#section-2", "https://example.com/a"),  # fragment dropped
        ("https://example.com/a/", "https://example.com/a"),  # one trailing slash dropped
        ("https://example.com/", "https://example.com/"),  # ... but not the root's
        ("https://example.com/a/?b=1&C=2", "https://example.com/a?b=1&C=2"),  # query kept as is
        ("https://example.com/a?utm_source=x#frag", "https://example.com/a?utm_source=x"),
        ("HTTP://Example.com:8080/a/", "http://example.com:8080/a"),
        ("https://User:Secret@Example.COM/x", "https://User:Secret@example.com/x"),
        ("https://www.huffingtonpost.comhttps://www.outsports.com/x", None),  # malformed: no crash
    ],
)
def test_normalize_url(raw, expected):
    result = normalize_url(raw)
    if expected is not None:
        assert result == expected
    assert normalize_url(result) == result


def test_related_url_and_identity_are_normalised_alike(tmp_path: Path):
    """A stub cited under two spellings of one URL is one document."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.md").write_text(
        seed_text(
            "A",
            "HTTPS://Site.example/story/",
            related=[{"title": "S", "webUrl": "https://x.example/s/#top"}],
        )
    )
    (seeds / "b.md").write_text(
        seed_text(
            "B",
            "https://other.example/b",
            related=[
                {"title": "S", "webUrl": "HTTPS://X.EXAMPLE/s"},
                {"title": "A again", "webUrl": "https://site.example/story"},
            ],
        )
    )
    report = searchkit.build_index(seeds, tmp_path / "index")
    assert (report.documents, report.articles, report.related) == (3, 2, 1)
    assert set(stored_docs(tmp_path / "index")) == {
        "https://site.example/story",
        "https://other.example/b",
        "https://x.example/s",
    }


# --- timestamps -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-05-03T18:50:00Z", datetime(2021, 5, 3, 18, 50, tzinfo=UTC)),
        ("2021-05-03T18:50:00+02:00", datetime(2021, 5, 3, 16, 50, tzinfo=UTC)),
        ("2021-01-01T01:00:00+02:00", datetime(2020, 12, 31, 23, 0, tzinfo=UTC)),  # day changes
        ("2021-05-03T18:50:00-05:30", datetime(2021, 5, 4, 0, 20, tzinfo=UTC)),
        ("2021-05-03", datetime(2021, 5, 3, tzinfo=UTC)),  # YAML gives a date
        ("2021-05-03 18:50:00", datetime(2021, 5, 3, 18, 50, tzinfo=UTC)),  # naive: taken as UTC
        ('"2021-05-03T18:50:00Z"', datetime(2021, 5, 3, 18, 50, tzinfo=UTC)),  # a str
        ('"2021-05-03T18:50:00+02:00"', datetime(2021, 5, 3, 16, 50, tzinfo=UTC)),
        ("'2021-05-03'", datetime(2021, 5, 3, tzinfo=UTC)),
        ("2021-05-03T18:50:00.123456Z", datetime(2021, 5, 3, 18, 50, 0, 123456, tzinfo=UTC)),
    ],
)
def test_published_date_is_converted_to_utc(value, expected):
    seed = parse_seed_text("d.md", f"---\ntitle: T\npublishedDateTime: {value}\n---\n")
    assert seed.published == expected
    assert seed.published.tzinfo is not None and seed.published.utcoffset().total_seconds() == 0


def test_missing_published_date_is_none():
    assert parse_seed_text("d.md", "---\ntitle: T\n---\n").published is None


def test_related_entry_date_is_converted_to_utc():
    seed = parse_seed_text(
        "d.md",
        "---\ntitle: T\nrelated:\n  - title: R\n"
        "    publishedDateTime: 2020-02-29T23:30:00-01:00\n---\n",
    )
    assert seed.related[0].published == datetime(2020, 3, 1, 0, 30, tzinfo=UTC)


def test_offset_date_is_stored_in_utc_in_the_index(tmp_path: Path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.md").write_text(
        "---\ntitle: Offset\npublishedDateTime: 2021-05-03T18:50:00+02:00\n---\n"
    )
    (seeds / "b.md").write_text("---\ntitle: Dateonly\npublishedDateTime: 2019-07-04\n---\n")
    searchkit.build_index(seeds, tmp_path / "index")
    docs = stored_docs(tmp_path / "index")
    assert docs["a.md"]["published"] == datetime(2021, 5, 3, 16, 50)
    assert docs["b.md"]["published"] == datetime(2019, 7, 4)
    stats = searchkit.index_stats(tmp_path / "index")
    assert stats.earliest == datetime(2019, 7, 4, tzinfo=UTC)
    assert stats.latest == datetime(2021, 5, 3, 16, 50, tzinfo=UTC)


# --- other fields ---------------------------------------------------------------------------------


def test_topics_are_deduplicated_case_insensitively_and_kept_as_written():
    seed = parse_seed_text(
        "t.md", "---\ntitle: T\ntopics: [AI, Computer  Vision, ai, ' AI ']\n---\n"
    )
    assert seed.topics == ("AI", "Computer Vision")


def test_single_topic_string_and_provider_string():
    seed = parse_seed_text(
        "t.md", "---\ntitle: T\ntopics: Politics\nprovider: The   Guardian\n---\n"
    )
    assert seed.topics == ("Politics",)
    assert seed.provider == Provider(name="The Guardian")


def test_provider_domain_is_lowercased_and_names_collapse_whitespace():
    seed = parse_seed_text(
        "t.md", '---\ntitle: T\nprovider:\n  name: "  ABC\\tKcrg   9 "\n  domain: KCRG.com\n---\n'
    )
    assert seed.provider == Provider(name="ABC Kcrg 9", domain="kcrg.com")


def test_title_whitespace_collapses_and_body_is_kept():
    seed = parse_seed_text(
        "t.md", '---\ntitle: "  Two\\n  lines  "\n---\n\nSome *markdown* body.\n'
    )
    assert seed.title == "Two lines"
    assert seed.body == "Some *markdown* body."


@pytest.mark.parametrize(
    ("value", "expected"), [("0", 0), ("100", 100), ("101", None), ("-1", None), ("x", None)]
)
def test_quality_outside_0_100_is_dropped(value, expected):
    assert parse_seed_text("q.md", f"---\ntitle: T\nquality: {value}\n---\n").quality == expected


def test_identity_falls_back_to_original_url_then_path():
    with_original = parse_seed_text("a.md", "---\ntitle: T\noriginalUrl: HTTPS://X.com/a/\n---\n")
    assert with_original.identity == "https://x.com/a"
    assert parse_seed_text("sub/b.md", "---\ntitle: T\n---\n").identity == "sub/b.md"


def test_related_entry_without_title_is_ignored_and_without_url_is_keyed_by_position():
    seed = parse_seed_text(
        "a.md",
        "---\ntitle: T\nwebUrl: https://x.com/a\nrelated:\n"
        "  - title: No url\n"
        "  - webUrl: https://x.com/no-title\n"
        "  - title: With url\n    webUrl: https://x.com/r\n---\n",
    )
    assert [r.title for r in seed.related] == ["No url", "With url"]
    assert seed.related_keys() == ("https://x.com/a#related-1", "https://x.com/r")


def test_crlf_line_endings_and_bom_are_accepted():
    text = "\ufeff---\r\ntitle: Windows\r\nwebUrl: https://x.com/w\r\n---\r\nbody\r\n"
    seed = parse_seed_bytes("w.md", text.encode("utf-8"))
    assert (seed.title, seed.web_url, seed.body) == ("Windows", "https://x.com/w", "body")
