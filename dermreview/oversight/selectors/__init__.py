"""Read-only queries behind the oversight pages and charts: querysets and dataclasses, never a write or an audit row.

What writes (alarms, digests, the audited CSV export and chain check) lives in `oversight/services/`.
"""
