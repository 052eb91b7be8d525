"""The archive's record of crawl runs and of the pages that failed (retried until they answer)."""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class RunRecords:
    """Runs and failures, for `archive.store.Archive` (which has the ``db``)."""

    def record_failure(self, url: str, portal: str, kind: str, reason: str, run_id: int | None = None) -> None:
        stamp = now()
        with self.db.atomic():
            self.db.execute(
                """insert into failures (url, portal, kind, reason, first_seen_at, last_seen_at, attempts, run_id)
                   values (?, ?, ?, ?, ?, ?, 1, ?)
                   on conflict(url) do update set kind = excluded.kind, reason = excluded.reason,
                     last_seen_at = excluded.last_seen_at, attempts = failures.attempts + 1,
                     run_id = excluded.run_id, resolved_at = null""",
                [url, portal, kind, reason, stamp, stamp, run_id],
            )

    def resolve_failure(self, url: str, run_id: int | None = None) -> None:
        """The page at ``url`` is fine now. With ``run_id``: a failure recorded by that same
        run stands (its article was stored without its view count, say)."""
        with self.db.atomic():
            self._resolve_failure(url, run_id)

    def _resolve_failure(self, url: str, run_id: int | None) -> None:
        self.db.execute(
            "update failures set resolved_at = ? where url = ? and resolved_at is null"
            " and (? is null or run_id is not ?)",
            [now(), url, run_id, run_id],
        )

    def unresolved_failures(self, portal: str) -> list[str]:
        return [r[0] for r in self.db.execute("select url from failures where portal = ? and resolved_at is null", [portal])]

    def start_run(self, portal: str, arguments: dict, alive: tuple[int, ...] = ()) -> int:
        """Record a run as ``running``. Called with the archive's lock held, so every other
        run still marked ``running`` ended without saying so: it is marked ``killed`` (but
        for ``alive``, the runs of this process's other crawls, which share its lock)."""
        with self.db.atomic():
            self.db.execute(
                "update crawl_runs set status = 'killed', reason = 'the process ended without finishing the run' "
                "where status = 'running' and id not in (select value from json_each(?))",
                [json.dumps(list(alive))],
            )
            return self.db["crawl_runs"].insert(
                {"portal": portal, "started_at": now(), "arguments": json.dumps(arguments, ensure_ascii=False), "status": "running",
                 "pid": os.getpid()}
            ).last_pk

    def finish_run(self, run_id: int, **fields) -> None:
        """Record how run ``run_id`` ended (``status``, ``reason``, its counts)."""
        if "failures_by_kind" in fields:
            fields["failures_by_kind"] = json.dumps(fields["failures_by_kind"], ensure_ascii=False)
        with self.db.atomic():
            self.db["crawl_runs"].update(run_id, {"finished_at": now(), **fields})
