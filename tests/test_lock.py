"""The archive lock: one writer, the holder named, a dead holder taken over, a hung one reported."""
import json
import os

from archive.lock import ArchiveLock


def test_one_holder_at_a_time(tmp_path):
    first, second = ArchiveLock(tmp_path / "a.db"), ArchiveLock(tmp_path / "a.db")
    assert first.acquire()
    assert not second.acquire()
    first.release()
    assert second.acquire()
    second.release()


def test_the_file_names_the_holder_and_is_emptied_on_release(tmp_path):
    lock = ArchiveLock(tmp_path / "a.db")
    lock.acquire(deadline=60)
    holder = json.loads(lock.path.read_text())
    assert holder["pid"] == os.getpid() and holder["deadline"] > holder["started"]
    assert lock.taken_over is None
    lock.release()
    assert lock.path.read_text() == ""


def test_a_holder_that_died_is_taken_over_with_a_word(tmp_path):
    lock = ArchiveLock(tmp_path / "a.db")
    lock.path.write_text(json.dumps({"pid": 4242, "started": "2026-01-01T00:00:00+00:00", "deadline": None}))
    assert lock.acquire()  # the kernel released the dead process's flock
    assert "4242" in lock.taken_over
    lock.release()


def test_a_live_holder_past_its_deadline_is_reported(tmp_path):
    holder = ArchiveLock(tmp_path / "a.db")
    holder.acquire(deadline=-1)  # already overdue
    waiting = ArchiveLock(tmp_path / "a.db")
    assert not waiting.acquire()
    assert "past its deadline" in waiting.overdue_holder()
    holder.release()
    on_time = ArchiveLock(tmp_path / "a.db")
    on_time.acquire(deadline=3600)
    assert ArchiveLock(tmp_path / "a.db").overdue_holder() is None
    on_time.release()


def test_whether_a_crawl_holds_the_archive_can_be_asked_without_writing(tmp_path):
    lock = ArchiveLock(tmp_path / "a.db")
    assert not lock.is_held()  # no lock file at all
    lock.acquire()
    assert ArchiveLock(tmp_path / "a.db").is_held()
    lock.release()
    assert not ArchiveLock(tmp_path / "a.db").is_held()


def test_a_run_that_could_not_record_its_end_leaves_it_for_the_next(tmp_path):
    lock = ArchiveLock(tmp_path / "a.db")
    lock.acquire()
    lock.release({"run_id": 7, "status": "failed", "reason": "disk full"})
    assert lock.note() == {"outcome": {"run_id": 7, "status": "failed", "reason": "disk full"}}
    successor = ArchiveLock(tmp_path / "a.db")
    assert successor.acquire()
    assert successor.left_outcome == {"run_id": 7, "status": "failed", "reason": "disk full"}
    assert successor.taken_over is None  # not a dead holder: a run that said how it ended
    successor.release()
