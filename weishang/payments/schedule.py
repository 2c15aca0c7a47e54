BEAT = {
    "payments-purge-idempotency": {"task": "weishang.payments.tasks.purge_idempotency_keys", "schedule": 86400.0},
    "payments-query-pending": {"task": "weishang.payments.tasks.query_pending_online_payments", "schedule": 120.0},
}
