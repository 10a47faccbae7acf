"""Operations: community health (counters, charts, the weekly digest), Prometheus metrics,
and ``tg-support status``.

``stats`` imports only ``core``: the question and helper stores call it where things happen.
"""
