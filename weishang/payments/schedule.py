BEAT = {
    "payments-purge-idempotency": {"task": "weishang.payments.tasks.purge_idempotency_keys", "schedule": 86400.0},
}
