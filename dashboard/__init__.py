"""The financial dashboard: ``create_app`` builds the Flask application."""
from __future__ import annotations

import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import DEFAULT_SQLITE_PATH, DEV_SECRET_KEY, Config, ConfigurationError, config_for_environment
from dashboard import encryption
from dashboard.encryption import EncryptionError, keys_from_setting


def create_app(config: type[Config] | Config | dict | None = None) -> Flask:
    """Build the app: configure, bind extensions, register blueprints, errors and commands.

    Needs no live database, so ``flask db upgrade`` works on an empty server.
    """
    app = Flask(__name__, instance_relative_config=True, template_folder="../templates", static_folder="../static")
    _configure(app, config)
    _setup_extensions(app)
    _setup_blueprints(app)
    _setup_errors(app)
    _setup_templates(app)
    _setup_cli(app)
    return app


def _configure(app: Flask, config) -> None:
    if isinstance(config, dict):
        app.config.from_object(config_for_environment()())
        app.config.update(config)
    else:
        config = config or config_for_environment()
        app.config.from_object(config() if isinstance(config, type) else config)
    if app.config["APP_ENV"] == "production":
        _refuse_weak_production_secrets(app)
    if app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{DEFAULT_SQLITE_PATH}":
        DEFAULT_SQLITE_PATH.parent.mkdir(exist_ok=True)
    app.logger.setLevel(logging.INFO)
    if app.config["TRUSTED_PROXIES"]:
        proxies = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)


def _refuse_weak_production_secrets(app: Flask) -> None:
    missing = []
    secret = app.config.get("SECRET_KEY")
    if not secret or secret == DEV_SECRET_KEY or len(secret) < 32:
        missing.append("SECRET_KEY (at least 32 characters)")
    if not app.config.get("ENCRYPTION_KEY"):
        missing.append("ENCRYPTION_KEY")
    if missing:
        raise ConfigurationError(
            "APP_ENV=production refuses to start without a real " + " and ".join(missing)
            + "; set them in the environment or as NAME_FILE"
        )
    try:
        keys_from_setting(app.config["ENCRYPTION_KEY"])
    except EncryptionError as error:
        raise ConfigurationError(f"APP_ENV=production refuses to start: {error}") from None


def _setup_extensions(app: Flask) -> None:
    from dashboard import models  # noqa: F401  (every model registered before migrations look)
    from dashboard.extensions import csrf, db, limiter, login_manager, migrate, talisman
    from dashboard.models.base import render_migration_type

    db.init_app(app)
    encryption.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True, render_item=render_migration_type)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    talisman.init_app(
        app,
        force_https=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        strict_transport_security=app.config["APP_ENV"] == "production",
        content_security_policy=app.config["CONTENT_SECURITY_POLICY"],
        frame_options="DENY",
        referrer_policy="same-origin",
    )


def _setup_blueprints(app: Flask) -> None:
    from dashboard.accounts import bp as accounts_bp
    from dashboard import api
    from dashboard.admin import bp as admin_bp
    from dashboard.budgets.routes import bp as budgets_bp
    from dashboard.auth import bp as auth_bp
    from dashboard.categories.routes import bp as categories_bp
    from dashboard.connections import bp as connections_bp
    from dashboard.health import bp as health_bp
    from dashboard.rates import bp as rates_bp
    from dashboard.recurring import bp as recurring_bp
    from dashboard.reports import bp as reports_bp
    from dashboard.rules.routes import bp as rules_bp
    from dashboard.settings import bp as settings_bp
    from dashboard.similarity.routes import bp as similarity_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(connections_bp)
    app.register_blueprint(settings_bp)
    app.register_blueprint(budgets_bp)
    app.register_blueprint(recurring_bp)
    app.register_blueprint(categories_bp)
    app.register_blueprint(rules_bp)
    app.register_blueprint(rates_bp)
    app.register_blueprint(similarity_bp)
    api.init_app(app)


def _setup_errors(app: Flask) -> None:
    from dashboard.errors import register_error_handlers

    register_error_handlers(app)


def _setup_templates(app: Flask) -> None:
    from dashboard import access
    from dashboard.formatting import register_template_filters
    from dashboard.navigation import register_navigation

    register_template_filters(app)
    register_navigation(app)
    access.init_app(app)


def _setup_cli(app: Flask) -> None:
    from dashboard.cli import register_commands

    register_commands(app)
