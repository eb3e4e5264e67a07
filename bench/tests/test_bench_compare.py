"""The cold-start comparison of two checkouts: what it counts of each run, and how it sums the runs up."""

from bench.compare import cold_ms, summary


def test_the_comparison_takes_moto_out_of_each_first_event_and_compares_medians() -> None:
    # A cold start of 300 ms import and a 150 ms first event of which moto answered for 40 ms
    assert cold_ms({"import_ms": 300.0, "first_event_ms": 150.0, "aws_wait_ms": 40.0}) == (410.0, 300.0, 110.0)
    # Medians, not means: one slow run moves neither side
    this = [(400.0, 300.0, 100.0), (420.0, 310.0, 110.0), (2000.0, 1500.0, 500.0)]
    other = [(500.0, 380.0, 120.0), (520.0, 400.0, 120.0), (480.0, 360.0, 120.0)]
    found = summary({"this": this, "other": other})
    assert found["this_ms"] == [420.0, 310.0, 110.0] and found["other_ms"] == [500.0, 380.0, 120.0]
    assert found["ratio"] == 0.84
