BEAT = {"fake-periodic-ping": {"task": "tests.orders.fake_periodic.tasks.ping", "schedule": 60.0}}
