"""causal_gym.parallel: every job's result comes back on both backends; failures name the job."""

from __future__ import annotations

import math

import pytest

from causal_gym.parallel import JobFailed, run_jobs


def test_local_backend_returns_every_result_with_its_job() -> None:
    results = dict(run_jobs(math.factorial, range(6), backend="local", workers=2))
    assert results == {n: math.factorial(n) for n in range(6)}


def test_a_failing_job_is_named() -> None:
    with pytest.raises(JobFailed, match=r"job -1\.0 failed: math domain error"):
        dict(run_jobs(math.sqrt, [4.0, -1.0], backend="local", workers=1))


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
