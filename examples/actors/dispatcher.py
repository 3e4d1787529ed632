"""A pool of WebAssembly workers (``actors:worker``, worker.c) fed by a Python dispatcher.

``dispatch(proc, workers, jobs)`` runs as a ``process.python`` process: it spawns ``workers``
guests (linked and monitored), hands each a job, gives a worker its next job as soon as it
answers, and returns ``{"jobs": ..., "steps": ..., "per_worker": {pid: count}}`` once every
job is done, after cancelling the workers. Job i asks for the Collatz steps of 27 + i.
"""

from __future__ import annotations

from typing import Any

from wippy.actors import Message, Process

WORKER = "actors:worker"


def dispatch(proc: Process, workers: int | str = 4, jobs: int | str = 20) -> dict[str, Any]:
    """Runs ``jobs`` jobs on ``workers`` WASM workers; arguments may be text (``wippy run``)."""
    workers, jobs = int(workers), int(jobs)
    host = proc.self.host
    pool = [proc.spawn_linked_monitored(WORKER, host) for _ in range(workers)]
    pending = list(range(jobs))
    steps: dict[int, int] = {}
    per_worker = {str(pid): 0 for pid in pool}
    for pid in pool:  # one job each to start with
        if pending:
            job = pending.pop(0)
            proc.send(pid, "job", job, 27 + job)
    while len(steps) < jobs:
        reply = proc.receive(timeout=30, topic="done")
        if not isinstance(reply, Message):
            raise RuntimeError(f"a worker did not answer: {reply}")
        (job_id, count, worker), = reply.payload
        steps[job_id] = count
        per_worker[worker] += 1
        if pending:
            job = pending.pop(0)
            proc.send(reply.sender, "job", job, 27 + job)
    for pid in pool:
        proc.unlink(pid)
        proc.cancel(pid, "no more jobs")
    return {"jobs": jobs, "steps": [steps[i] for i in range(jobs)], "per_worker": per_worker}
