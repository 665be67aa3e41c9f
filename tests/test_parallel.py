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


def _children(pid: int) -> list[int]:
    """The live (not zombie) processes whose parent is ``pid``, from /proc."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


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
        workers = [
            pid
            for pid in _children(caller.pid)
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
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
