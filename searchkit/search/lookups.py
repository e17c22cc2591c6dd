"""Documents by id and the links between them: get, linked, cited by, similar (more like this)."""

from __future__ import annotations

from typing import Any

from whoosh import query as wq

from ..records import IndexDocument, from_stored
from ..results import Document, LinkedDocument
from ..whoosh_seam.matching import term_documents


class Documents:
    """Look-ups on one Whoosh searcher (one index generation)."""

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher

    def stored(self, docnum: int) -> IndexDocument:
        return from_stored(self.searcher.stored_fields(docnum))

    def docnum(self, doc_id: str) -> int | None:
        found = term_documents(self.searcher, "id", doc_id)
        return found[0] if found else None

    def citing(self, doc_id: str) -> list[int]:
        """The articles that cite `doc_id`, by document number."""
        return term_documents(self.searcher, "links", doc_id)

    def cited_by_count(self, doc_id: str) -> int:
        return len(self.citing(doc_id))

    def citing_ids(self, doc_id: str) -> list[str]:
        """The ids of the articles that cite `doc_id`, in document order."""
        return [self.searcher.stored_fields(d)["id"] for d in sorted(self.citing(doc_id))]

    def document(self, docnum: int) -> Document:
        doc = self.stored(docnum)
        return Document(
            id=doc.id,
            kind=doc.kind,
            title=doc.title,
            excerpt=doc.excerpt,
            body=doc.body,
            url=doc.url,
            provider=doc.provider.name,
            domain=doc.provider.domain,
            published=doc.published,
            topics=doc.topics,
            quality=doc.quality,
            path=doc.path,
            images=tuple(i.url for i in doc.images),
            links=doc.links,
            cited_by=tuple(sorted(self.citing_ids(doc.id))),
            extra=dict(doc.extra),
        )

    def linked(self, doc_id: str) -> LinkedDocument:
        """A document another one points to (or is pointed at by); kind None when the index
        does not hold it."""
        docnum = self.docnum(doc_id)
        if docnum is None:
            return LinkedDocument(doc_id, doc_id, None, None, None, None)
        doc = self.stored(docnum)
        return LinkedDocument(
            doc.id, doc.title, doc.kind, doc.url, doc.published, doc.provider.name
        )

    def similar(self, docnum: int, limit: int) -> list[tuple[int, float]]:
        """More like this: the document's most distinctive title and excerpt words."""
        doc = self.stored(docnum)
        words = self.searcher.key_terms_from_text(
            "excerpt", similar_text(doc.title, doc.excerpt, doc.body), numterms=SIMILAR_TERMS
        )
        if not words:
            return []
        results = self.searcher.search(similar_query(words), limit=limit + 1)
        return [(h.docnum, float(h.score or 0.0)) for h in results if h.docnum != docnum][:limit]


SIMILAR_TERMS = 12  # key terms of a document that find the documents like it
SIMILAR_FIELDS = (("title", 2.0), ("excerpt", 1.0), ("body", 0.5))


def similar_text(title: str, excerpt: str, body: str) -> str:
    """The text a document's key terms are drawn from: its title counts twice."""
    return f"{title} {title} {excerpt} {body}"


def similar_query(words: list[tuple[str, float]]) -> Any:
    """The query of documents like one whose key terms are `words` (word, weight)."""
    return wq.Or(
        [
            wq.Term(field, word, boost=weight * boost)
            for word, weight in words
            for field, boost in SIMILAR_FIELDS
        ]
    )
