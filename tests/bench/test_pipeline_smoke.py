"""The pipeline benchmark runs end to end on a few posts and reports what it promises."""

from __future__ import annotations

from pathlib import Path

from bench import pipeline


def test_pipeline_bench_small_run(tmp_path: Path) -> None:
    result = pipeline.run(f"sqlite:///{tmp_path}/bench.db", 600, 10, 2, 200)
    assert result["stored"] == 600
    assert result["processes"] == 2
    assert result["main_cpu_us_per_post"] > 0
    total = result["total_cpu_us_per_post"]
    assert total is None or total > result["main_cpu_us_per_post"]  # workers did the pure half
    if total is not None:  # Linux: every process kind is accounted for
        assert result["workers_cpu_us_per_post"] > 0
        assert result["writer_cpu_us_per_post"] > 0  # the writer stored the chunks
        parts = result["main_cpu_us_per_post"] + result["workers_cpu_us_per_post"]
        assert abs(total - parts - result["writer_cpu_us_per_post"]) <= 2  # rounding
    assert 0 <= result["main_gc_us_per_post"] <= result["main_cpu_us_per_post"]


def test_the_machine_speed_reference_is_a_real_timing() -> None:
    short, longer = pipeline.python_loop_seconds(100_000), pipeline.python_loop_seconds(1_000_000)
    assert 0 < short < longer
