BEAT = {
    "certificates-expire": {"task": "weishang.certificates.tasks.expire_lapsed_certificates", "schedule": 3600.0},
}
