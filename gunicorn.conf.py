"""gunicorn settings; every one can be overridden on the command line or with GUNICORN_CMD_ARGS."""
import os

bind = os.environ.get("BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
accesslog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    """Check the database once before any worker starts; exit with a one-line reason if it never answers."""
    from wsgi import check_database_or_exit

    check_database_or_exit()
    warn_about_per_worker_limits(server)


def warn_about_per_worker_limits(server) -> None:
    """memory:// counts login attempts in each worker on its own: N workers let N times the limit through."""
    from config import config_for_environment

    storage = config_for_environment()().RATELIMIT_STORAGE_URI
    if server.cfg.workers > 1 and storage.startswith("memory://"):
        server.log.warning(
            "login limits are counted per worker (%d workers, RATELIMIT_STORAGE_URI=memory://), so each "
            "lets the full limit through; set REDIS_URL to share the counts", server.cfg.workers)
