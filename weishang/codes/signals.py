"""Events other areas listen to.

    first_genuine_scan(sender, code, consumer, batch)
        A consumer's first scan of a genuine item since it was scanned out (scans of a
        leaked code before release do not count).
        `code` is the canonical code text, `consumer` the logged-in User or None, `batch`
        the CodeBatch. Sent inside the transaction that records the scan, so a receiver's
        writes (points, red packets) commit or roll back with it; receivers must be
        idempotent per code.
"""

from django.dispatch import Signal

first_genuine_scan = Signal()
