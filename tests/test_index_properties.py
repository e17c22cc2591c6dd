"""Property tests: URL normalisation and the seed parser on mutated real seed text."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from index_helpers import REAL_SEED

from searchkit.documents import Seed, normalize_url, parse_seed_bytes
from searchkit.errors import SeedError

REAL_BYTES = REAL_SEED.read_bytes()

# --- normalize_url --------------------------------------------------------------------------------

_host_label = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-",
    min_size=1,
    max_size=12,
)
_segment = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%+",
    min_size=1,
    max_size=12,
)
_query = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789=&_-%/", max_size=20
)


@st.composite
def web_urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    host = ".".join(draw(st.lists(_host_label, min_size=1, max_size=3)))
    port = draw(st.sampled_from(["", ":8080", ":443"]))
    segments = draw(st.lists(_segment, max_size=4))
    path = "/" + "/".join(segments)
    if segments and draw(st.booleans()):
        path += "/"
    query = draw(st.none() | _query)
    fragment = draw(st.none() | _segment)
    url = f"{scheme}://{host}{port}{path}"
    if query is not None:
        url += "?" + query
    if fragment is not None:
        url += "#" + fragment
    pad = draw(st.sampled_from(["", " ", "\t", "  \n"]))
    return pad + url + draw(st.sampled_from(["", " ", "\n"]))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_normalize_url_never_raises_on_any_text(text):
    assert isinstance(normalize_url(text), str)


@settings(max_examples=300, deadline=None)
@given(web_urls())
def test_normalize_url_is_idempotent_and_canonical_on_web_urls(url):
    result = normalize_url(url)
    assert normalize_url(result) == result
    parts = urlsplit(result)
    original = urlsplit(url.strip())
    assert result == result.strip()
    assert parts.scheme == original.scheme.lower()
    assert parts.netloc == original.netloc.lower()
    assert parts.fragment == "" and "#" not in result
    assert parts.query == original.query
    assert parts.path == "/" or not parts.path.endswith("/")
    assert parts.path.rstrip("/") == original.path.rstrip("/")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a//", "https://example.com/a/"),
        ("https://example.com/a/b///", "https://example.com/a/b//"),
    ],
)
def test_normalize_url_drops_exactly_one_trailing_slash(url, expected):
    # docs/DOCUMENTS.md: "drop one trailing / of a non-root path"; 'a//' and 'a' stay different.
    assert normalize_url(url) == expected


@pytest.mark.parametrize(
    "url", ["https://example.com/a #top", "https://example.com/a /", "https://example.com/a ?"]
)
def test_normalize_url_is_idempotent_with_white_space_before_a_dropped_part(url):
    once = normalize_url(url)
    assert normalize_url(once) == once


# --- the seed parser on mutated text --------------------------------------------------------------

_mutation = st.one_of(
    st.tuples(
        st.just("insert"), st.integers(0, len(REAL_BYTES)), st.binary(min_size=1, max_size=8)
    ),
    st.tuples(st.just("delete"), st.integers(0, len(REAL_BYTES)), st.integers(1, 40)),
    st.tuples(st.just("flip"), st.integers(0, len(REAL_BYTES) - 1), st.integers(0, 255)),
)

# YAML's structural characters and other troublemakers, inserted as text.
_YAML_NOISE = st.text(
    alphabet=[*"-:[]{},#&*!|>'\"%@`? \t\n\r\\", "é", "\u2028", "\x00", "\x1b", "\ufeff"],
    min_size=1,
    max_size=6,
)
_noise_insert = st.tuples(
    st.just("insert"), st.integers(0, len(REAL_BYTES)), _YAML_NOISE.map(lambda s: s.encode())
)


def _mutate(data: bytes, mutations: list[tuple[str, int, object]]) -> bytes:
    buf = bytearray(data)
    for kind, pos, arg in mutations:
        pos = min(pos, len(buf))
        if kind == "insert":
            buf[pos:pos] = arg  # type: ignore[assignment]
        elif kind == "delete":
            end = min(len(buf), pos + int(arg))  # type: ignore[call-overload]
            del buf[pos:end]
        elif pos < len(buf):
            buf[pos] = int(arg)  # type: ignore[call-overload]
    return bytes(buf)


def _parse_or_seed_error(data: bytes) -> None:
    try:
        seed = parse_seed_bytes("mutated.txt", data)
    except SeedError as exc:
        assert exc.path == "mutated.txt"
        assert exc.reason
        assert str(exc).startswith("mutated.txt: ")
    else:
        assert isinstance(seed, Seed)
        assert seed.title


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_mutation, _noise_insert), min_size=1, max_size=6))
# The day "03" of the seed's publishedDateTime flipped to "93": an impossible date.
@example([("flip", REAL_BYTES.index(b"2021-05-03T18:50") + 8, ord("9"))])
def test_any_mutated_seed_parses_or_raises_seed_error(mutations):
    _parse_or_seed_error(_mutate(REAL_BYTES, mutations))


def test_unmutated_real_seed_still_parses():
    """Guards the mutation tests: the mutations start from a valid seed."""
    assert _mutate(REAL_BYTES, []) == REAL_BYTES
    assert parse_seed_bytes("real.txt", REAL_BYTES).title
