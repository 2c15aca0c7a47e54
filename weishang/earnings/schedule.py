BEAT = {
    "earnings-release": {"task": "weishang.earnings.tasks.release_due_earnings", "schedule": 600.0},
}
