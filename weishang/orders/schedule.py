BEAT = {
    "orders-route-restocks": {"task": "weishang.orders.tasks.route_waiting_restocks", "schedule": 300.0},
    "orders-expire-unpaid": {"task": "weishang.orders.tasks.expire_unpaid_orders", "schedule": 60.0},
    "orders-auto-receive": {"task": "weishang.orders.tasks.auto_receive_orders", "schedule": 3600.0},
    "orders-complete": {"task": "weishang.orders.tasks.complete_orders", "schedule": 3600.0},
}
