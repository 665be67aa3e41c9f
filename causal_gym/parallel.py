"""Run independent jobs (benchmark cells, seeds) in local processes or as Ray tasks.

``run_jobs(function, jobs, backend=...)`` yields ``(job, result)`` pairs in the order the jobs
finish, so a caller can write each result as soon as it exists:

- ``backend="local"`` (the default): a pool of ``workers`` spawned processes on this machine;
- ``backend="ray"``: every job is a Ray task requesting ``cpus_per_job`` CPUs. With
  ``address=None`` a private Ray instance with ``workers`` CPUs is started in this process and
  shut down at the end (its workers at normal priority, not Ray's default niceness of 15);
  with an address (``"auto"`` on a node of the cluster, or ``"head-host:6379"``) the jobs go
  to that running cluster, whose nodes must have this package installed (Ray ships the
  function, not the packages it imports). Ray is an optional extra: ``pip install -e ".[ray]"``.

``function`` must be importable by the workers (a module-level function of an installed
package, or of the ``__main__`` script, which both backends ship by value) and each job and
result must pickle. A job that raises re-raises in the caller, with the job named. A local
worker whose caller dies (a SIGKILLed sweep) exits within a second rather than finish its job:
left running, it would write that job's files beside a resumed run's.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

BACKENDS = ("local", "ray")

Job = TypeVar("Job")


class JobFailed(RuntimeError):
    """A job raised; the message names the job, the cause is the job's own exception."""


def run_jobs(
    function: Callable[[Job], Any],
    jobs: Iterable[Job],
    backend: str = "local",
    workers: int = 2,
    address: str | None = None,
    cpus_per_job: float = 1.0,
) -> Iterator[tuple[Job, Any]]:
    """``(job, function(job))`` for every job, in the order they finish; see the module."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {list(BACKENDS)}, got {backend!r}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an int >= 1, got {workers!r}")
    if not cpus_per_job > 0:
        raise ValueError(f"cpus_per_job must be > 0, got {cpus_per_job!r}")
    if address is not None and backend != "ray":
        raise ValueError(f"an address is only for the ray backend (got backend {backend!r})")
    jobs = list(jobs)
    if not jobs:
        return
    if backend == "local":
        yield from _run_local(function, jobs, workers)
    else:
        yield from _run_ray(function, jobs, workers, address, cpus_per_job)


def _run_local(function: Callable[[Job], Any], jobs: list[Job], workers: int) -> Iterator:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        min(workers, len(jobs)),
        mp_context=context,
        initializer=_exit_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        futures = {pool.submit(function, job): job for job in jobs}
        try:
            for future in as_completed(futures):
                job = futures[future]
                try:
                    result = future.result()
                except Exception as error:
                    raise JobFailed(f"job {job!r} failed: {error}") from error
                yield job, result
        finally:
            for future in futures:
                future.cancel()


def _exit_with_parent(parent: int) -> None:
    """Pool initializer: end this worker once ``parent`` is no longer its parent (it died and the
    worker was adopted); a SIGKILLed caller cannot stop its pool itself."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _apply(function: Callable[[Job], Any], job: Job) -> Any:
    return function(job)


def _run_ray(
    function: Callable[[Job], Any],
    jobs: list[Job],
    workers: int,
    address: str | None,
    cpus_per_job: float,
) -> Iterator:
    try:
        import ray
    except ImportError:
        raise ValueError(
            "the ray backend needs Ray: pip install -e '.[ray]' (or pip install 'ray>=2.9')"
        ) from None
    started = not ray.is_initialized()
    if started:
        if address is None:
            # Ray runs its workers at niceness 15 by default, so that on a busy machine the
            # jobs, which are the whole point here, got a few percent of a core (measured:
            # a 12 s Table 1 run took 215 s beside another sweep).
            ray.init(
                num_cpus=workers,
                include_dashboard=False,
                log_to_driver=False,
                _system_config={"worker_niceness": 0},
            )
        else:
            ray.init(address=address, log_to_driver=False)
    try:
        task = ray.remote(num_cpus=cpus_per_job, max_retries=0)(_apply)
        shipped = ray.put(function)
        pending = {task.remote(shipped, job): job for job in jobs}
        try:
            while pending:
                (ready,), _ = ray.wait(list(pending), num_returns=1)
                job = pending.pop(ready)
                try:
                    result = ray.get(ready)
                except ray.exceptions.RayTaskError as error:
                    raise JobFailed(f"job {job!r} failed: {error}") from error
                yield job, result
        finally:
            for reference in pending:
                ray.cancel(reference, force=True)
    finally:
        if started:
            ray.shutdown()
