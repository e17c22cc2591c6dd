"""Commands that reach outside the session: :edit (a seed file in the user's editor), :save
(the results to a file) and :rerun (a line of the history)."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

from ..api import SearchIndex
from ..formats import FIELDS, TABLE_FIELDS, hit_record, table_text
from ..render import plural, sanitize
from ..results import Hit
from .commands import Command, CommandError, Shell, number, on_cluster
from .state import Reply
from .views import entry

SAVE_PAGE = 1000  # hits fetched at once by :save (the API's largest page)


def editor_command(env: dict[str, str] | os._Environ[str] = os.environ) -> list[str] | None:
    """$VISUAL, else $EDITOR, split as a shell would; None when neither is set."""
    for name in ("VISUAL", "EDITOR"):
        value = env.get(name, "").strip()
        if value:
            return shlex.split(value)
    return None


def run_editor(path: Path) -> bool:
    """Open `path` in the user's editor and wait for it; False when there is none."""
    argv = editor_command()
    if argv is None:
        return False
    try:
        subprocess.run([*argv, str(path)], check=False)
    except OSError:
        return False
    return True


def cmd_edit(repl: Shell, arg: str) -> Reply:
    if not isinstance(repl.index, SearchIndex):
        raise CommandError(on_cluster(":edit", repl.index.address or "auto"))
    found = entry(repl, arg, ":edit")
    if not found.indexed:
        raise CommandError(f"#{found.number} is not in the index: it has no seed file")
    doc = repl.index.get(found.id)
    if doc.path is None:
        raise CommandError(
            f"“{sanitize(doc.title)}” is a related document: it has no seed file of its own "
            "(:cited lists the articles that cite it)"
        )
    path = Path(repl.index.stats().seeds) / doc.path
    if not repl.edit_file(path):
        raise CommandError(
            f"no editor: set $VISUAL or $EDITOR; the seed file is {sanitize(str(path))}"
        )
    return Reply((f"Edited {sanitize(str(path))}; :reindex brings the index up to date.",))


def cmd_save(repl: Shell, arg: str) -> Reply:
    if not arg:
        raise CommandError(":save needs a file name ending in .jsonl, .csv or .tsv")
    path = Path(os.path.expanduser(arg.strip().strip("\"'")))
    kind = path.suffix.lower()
    if kind not in (".jsonl", ".csv", ".tsv"):
        raise CommandError(f"{sanitize(str(path))}: :save writes .jsonl, .csv or .tsv files")
    if repl.state.results is None:
        raise CommandError("no results yet: type a query first")
    hits = _every_hit(repl)
    if kind == ".jsonl":
        import json

        text = "".join(json.dumps(hit_record(h, FIELDS), ensure_ascii=False) + "\n" for h in hits)
    else:
        text = table_text(hits, TABLE_FIELDS, tsv=kind == ".tsv", header=True)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot write {sanitize(str(path))}: {exc.strerror}") from None
    return Reply((f"Saved {plural(len(hits), 'result')} to {sanitize(str(path))}.",))


def _every_hit(repl: Shell) -> list[Hit]:
    """Every hit of the session's search, every page, in rank order."""
    hits: list[Hit] = []
    page = 1
    while True:
        results = repl.search(page=page, per_page=SAVE_PAGE, facet_limit=1)
        hits.extend(results.hits)
        if page >= results.pages or not results.hits:
            return hits
        page += 1


def cmd_rerun(repl: Shell, arg: str) -> Reply:
    if not arg:
        raise CommandError(":rerun needs the number of a history entry (:history lists them)")
    n = number(arg, ":rerun")
    entries = list(repl.history.get_strings())
    # The newest entry is this :rerun itself when the history holds it; numbers are those
    # :history shows.
    if not 1 <= n <= len(entries):
        raise CommandError(f"no history entry {n} (:history lists them)")
    line = entries[n - 1]
    if line.lstrip().startswith(":rerun"):
        raise CommandError(f"history entry {n} is a :rerun itself")
    reply = repl.handle(line)
    return Reply((repl.palette.dim(f"{n}: {sanitize(line)}"), *reply.lines), reply.quit,
                 reply.error, reply.status, reply.long)  # fmt: skip


def file_commands() -> list[Command]:
    return [
        Command("edit", cmd_edit, "open the seed file of N (or the one on screen) in $EDITOR",
                ":edit 1", "[N]", (), "numbers"),
        Command("save", cmd_save, "write every result to FILE (.jsonl, .csv or .tsv)",
                ":save results.csv", "FILE"),
        Command("rerun", cmd_rerun, "run history entry N again (:history numbers them)",
                ":rerun 3", "N"),
    ]  # fmt: skip
