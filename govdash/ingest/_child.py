"""One import in a child process (``python -m govdash.ingest._child``), memory capped: a bomb ends only it."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

from govdash import lake
from govdash.ingest._readers import ValidationError
from govdash.ingest._report import ImportReport, Progress


def _child(send, kind: str, db_path: str, path: str, options: dict, memory_mb: int) -> None:
    """Cap the address space, run the import, ``send`` ('progress', f, text)… then one final message."""
    import resource

    if memory_mb > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 2**20, resource.getrlimit(resource.RLIMIT_AS)[1]))
    try:
        from govdash import ingest

        rep = ingest.run(kind, db_path, path, progress=lambda f, text: send(("progress", f, text)), **options)
        send(("done", rep))
    except ValidationError as exc:
        send(("invalid", str(exc)))
    except MemoryError:
        send(("memory", ""))
    except BaseException as exc:  # noqa: BLE001 - everything else crosses back as one line
        send(("error", f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"))


def run(
    kind: str,
    db_path: str | os.PathLike,
    file: bytes | str | os.PathLike,
    *,
    progress: Progress | None = None,
    memory_mb: int | None = None,
    **options,
) -> ImportReport:
    """``ingest.run(kind, db_path, file, **options)`` in a child process; its report.

    Bytes (an upload) are written to a private temporary file the child reads; the child's address
    space is capped at ``memory_mb`` (default settings.import_memory_mb). A child that dies (out of
    memory, killed) or fails is a ValidationError naming the file; the caller's process is never at risk.
    Why a fresh interpreter (not fork, not multiprocessing's spawn): nothing of the web server is
    shared, and no caller's ``__main__`` is re-imported.
    """
    from govdash import settings

    cap = settings.load().import_memory_mb if memory_mb is None else memory_mb
    say = progress or (lambda frac, text: None)
    given = isinstance(file, (str, os.PathLike))
    name = options.setdefault("name", Path(str(file)).name if given else "upload")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(settings.PROJECT_ROOT), os.environ.get("PYTHONPATH", "")])}
    with tempfile.TemporaryDirectory(prefix="govdash-upload-") as tmp:
        path = Path(file).resolve() if given else Path(tmp) / "upload"
        if not given:
            path.write_bytes(bytes(file))
        proc = subprocess.Popen(
            [sys.executable, "-m", "govdash.ingest._child"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
        final = None
        try:
            target = str(db_path) if lake.is_lake(db_path) else str(Path(db_path).resolve())
            pickle.dump((kind, target, str(path), options, cap), proc.stdin)
            proc.stdin.close()
            while final is None:
                try:
                    msg = pickle.load(proc.stdout)  # our own child's messages
                except EOFError:  # the child is gone without a word
                    break
                if msg[0] == "progress":
                    say(msg[1], msg[2])
                else:
                    final = msg
        finally:
            proc.stdout.close()
            code = proc.wait()
    if final is None:
        raise ValidationError(
            f"{name}: the import process stopped (exit code {code}: out of memory or killed); "
            "see the list of imports for what was loaded"
        )
    if final[0] == "done":
        return final[1]
    if final[0] == "memory":
        raise ValidationError(
            f"{name}: the import ran out of memory (limit {cap} MB, GOVDASH_IMPORT_MEMORY_MB); nothing was loaded"
        )
    raise ValidationError(f"{name}: {final[1]}" if final[0] == "error" else final[1])


if __name__ == "__main__":
    _out = os.fdopen(os.dup(1), "wb")  # messages go here; anything printed goes to stderr instead
    os.dup2(2, 1)

    def _send(msg) -> None:
        pickle.dump(msg, _out)
        _out.flush()

    _child(_send, *pickle.load(sys.stdin.buffer))
    _out.close()
