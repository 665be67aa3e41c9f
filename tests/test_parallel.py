"""causal_gym.parallel: every job's result comes back on both backends; failures name the job."""

from __future__ import annotations

import math
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from causal_gym.parallel import JobFailed, run_jobs


def test_local_backend_returns_every_result_with_its_job() -> None:
    results = dict(run_jobs(math.factorial, range(6), backend="local", workers=2))
    assert results == {n: math.factorial(n) for n in range(6)}


def test_a_failing_job_is_named() -> None:
    with pytest.raises(JobFailed, match=r"job -1\.0 failed: math domain error"):
        dict(run_jobs(math.sqrt, [4.0, -1.0], backend="local", workers=1))


def _state_and_parent(pid: int | str) -> tuple[str, int] | None:
    """A process's state letter and parent pid from /proc; None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


def _alive(pid: int) -> bool:
    process = _state_and_parent(pid)
    return process is not None and process[0] != "Z"


def _pool_workers(parent: int) -> list[int]:
    """The live spawned pool workers whose parent is ``parent``."""
    workers = []
    for folder in Path("/proc").glob("[0-9]*"):
        try:
            spawned = b"spawn_main" in (folder / "cmdline").read_bytes()
        except OSError:
            continue
        process = _state_and_parent(folder.name)
        if spawned and process is not None and process[0] != "Z" and process[1] == parent:
            workers.append(int(folder.name))
    return workers


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_local_worker_exits_when_its_caller_is_killed() -> None:
    """A SIGKILLed sweep cannot stop its pool; its worker, mid-job (a 60 s sleep), must end by
    itself rather than finish the job beside a resumed run."""
    script = (
        "import time; from causal_gym.parallel import run_jobs; "
        "list(run_jobs(time.sleep, [60], workers=1))"
    )
    caller = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while not workers and time.monotonic() < deadline:
        time.sleep(0.1)
        workers = _pool_workers(caller.pid)
    assert workers, "the pool never started its worker"
    time.sleep(1.0)  # the worker is in its job
    caller.send_signal(signal.SIGKILL)
    caller.wait(timeout=10)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)


def test_bad_settings_name_what_is_valid() -> None:
    with pytest.raises(ValueError, match=r"backend must be one of \['local', 'ray'\]"):
        list(run_jobs(math.factorial, [1], backend="dask"))
    with pytest.raises(ValueError, match="workers must be an int >= 1"):
        list(run_jobs(math.factorial, [1], workers=0))
    with pytest.raises(ValueError, match="only for the ray backend"):
        list(run_jobs(math.factorial, [1], address="auto"))
    assert list(run_jobs(math.factorial, [])) == []


def test_ray_backend_on_a_local_instance_matches_the_local_backend() -> None:
    pytest.importorskip("ray")
    jobs = [0.25, 4.0, 9.0, -1.0]
    with pytest.raises(JobFailed, match=r"job -1\.0 failed"):
        list(run_jobs(math.sqrt, jobs, backend="ray", workers=2))
    import ray

    assert not ray.is_initialized()  # the private instance is shut down after a failure too
    assert dict(run_jobs(math.sqrt, jobs[:3], backend="ray", workers=2)) == dict(
        run_jobs(math.sqrt, jobs[:3], backend="local", workers=2)
    )
