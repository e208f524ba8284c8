"""Layer report: what people read: a run's summary and folder (`run`), its Markdown report
(`markdown`), the load test's reports (`loadtest`), and every plot (`plots`, the only place
matplotlib is used).

Imports: every layer below but cli (and nothing of proofs/).
"""
