"""The thread settings every grading path runs TensorFlow with (its own module: the Gradescope
runtime in the autograder zip needs it without the Docker backend)."""

from __future__ import annotations


def thread_environment() -> dict[str, str]:
    # --cpus limits CPU time, not the CPUs a process sees: without these TensorFlow/OpenMP/BLAS
    # would start one thread per host core and thrash.
    # One thread for TensorFlow and the libraries under it, whatever --cpus is: the CNN check's
    # result depends on the thread count (the reference's balanced accuracy is 0.97 with one
    # thread, 0.63 with the machine's two), and a submission must get the same score every time.
    return {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
