"""Two-factor sign-in: enrolment with a QR code and the key, the login's "Code" step, recovery codes, replay and
drift, the secret encrypted at rest, the admin's requirement and reset."""
import re
import time

import pyotp
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from dashboard.audit import Actor, AuditAction
from dashboard.auth import two_factor
from dashboard.extensions import db
from dashboard.models import AuditEvent, RecoveryCode, TotpCredential
from dashboard.models.users import Role
from tests import factories

KEY = Fernet.generate_key().decode()


@pytest.fixture
def app_config():
    return {"ENCRYPTION_KEY": KEY}


def _fresh(app, client, method, path, **kwargs):
    db.session.commit()
    with app.app_context():
        return client.open(path, method=method, **kwargs)


def _enrol(app, client):
    """Enrol the signed-in user through the page; the secret (read from the "Key" field) and the recovery codes."""
    page = _fresh(app, client, "GET", "/settings/two-factor").get_data(as_text=True)
    secret = re.search(r'id="totp-key"[^>]*value="([A-Z2-7]+)"', page).group(1)
    done = _fresh(app, client, "POST", "/settings/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200, done.get_data(as_text=True)
    codes = re.findall(r"<li>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</li>", done.get_data(as_text=True))
    return secret, codes


def _password_step(app, client, user):
    return _fresh(app, client, "POST", "/login", data={"email": user.email, "password": factories.PASSWORD})


def _signed_in_client(app, user):
    client = app.test_client()
    assert _password_step(app, client, user).status_code == 302
    return client


def _age_last_step(user, steps=1):
    """Pretend the last code was used ``steps`` time steps ago, so the next login's code is not a replay."""
    credential = db.session.scalar(select(TotpCredential).where(TotpCredential.user_id == user.id))
    credential.last_used_step -= steps
    db.session.commit()


def test_enrolment_shows_the_qr_code_as_svg_and_the_key_as_text(app, user):
    client = _signed_in_client(app, user)
    page = _fresh(app, client, "GET", "/settings/two-factor").get_data(as_text=True)
    assert '<svg' in page and 'class="segno"' in page and "<script" not in page.split('id="qr-code"')[1][:2000]
    assert re.search(r'<label for="totp-key" class="form-label">Key</label>', page)
    secret = re.search(r'id="totp-key"[^>]*value="([A-Z2-7]+)"', page).group(1)
    again = _fresh(app, client, "GET", "/settings/two-factor").get_data(as_text=True)
    assert secret in again  # the same pending key until it is confirmed
    stored = db.session.scalar(select(TotpCredential.secret_encrypted).where(TotpCredential.user_id == user.id))
    assert secret not in stored and Fernet(KEY).decrypt(stored.encode()).decode() == secret


def test_a_wrong_code_does_not_turn_it_on_and_a_right_one_shows_ten_recovery_codes_once(app, user):
    client = _signed_in_client(app, user)
    _fresh(app, client, "GET", "/settings/two-factor")
    wrong = _fresh(app, client, "POST", "/settings/two-factor", data={"code": "000000"})
    assert wrong.status_code == 422 and "does not match" in wrong.get_data(as_text=True)
    assert not two_factor.is_enrolled(db.session, user.id)
    secret, codes = _enrol(app, client)
    assert len(codes) == 10 == len(set(codes))
    hashes = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
    assert len(hashes) == 10 and not set(codes) & set(hashes)
    page = _fresh(app, client, "GET", "/settings/two-factor").get_data(as_text=True)
    assert "Two-factor sign-in is on" in page and not any(code in page for code in codes)
    assert _fresh(app, client, "GET", "/").status_code == 200  # this browser goes on, under a new session


def test_login_asks_for_a_code_after_the_password_and_accepts_the_current_one(app, user):
    secret, _codes = _enrol(app, _signed_in_client(app, user))
    _age_last_step(user)
    client = app.test_client()
    response = _password_step(app, client, user)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/code")
    assert _fresh(app, client, "GET", "/").status_code == 302  # the password alone opens nothing
    page = _fresh(app, client, "GET", "/login/code").get_data(as_text=True)
    assert re.search(r"<label[^>]*>Code</label>", page)
    wrong = _fresh(app, client, "POST", "/login/code", data={"code": "123456"})
    assert wrong.status_code == 200 and "not valid" in wrong.get_data(as_text=True)
    right = _fresh(app, client, "POST", "/login/code", data={"code": pyotp.TOTP(secret).now()})
    assert right.status_code == 302 and _fresh(app, client, "GET", "/").status_code == 200
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.owner_id == user.id)).all()
    assert AuditAction.AUTH_CODE_FAILED.value in actions


def test_a_code_is_refused_when_used_again_in_its_time_step(app, user):
    secret, _codes = _enrol(app, _signed_in_client(app, user))
    used_step = db.session.scalar(select(TotpCredential.last_used_step).where(TotpCredential.user_id == user.id))
    client = app.test_client()
    _password_step(app, client, user)
    replay = _fresh(app, client, "POST", "/login/code", data={"code": pyotp.TOTP(secret).generate_otp(used_step)})
    assert replay.status_code == 200 and _fresh(app, client, "GET", "/").status_code == 302


def test_one_step_of_clock_drift_is_tolerated_and_two_are_not(app, user):
    secret, _codes = _enrol(app, _signed_in_client(app, user))
    totp, now = pyotp.TOTP(secret), time.time() + 3600  # an hour on: past the step the enrolment used
    assert two_factor.verify_second_factor(db.session, user, totp.at(now - 30), now=now) == "totp"
    assert two_factor.verify_second_factor(db.session, user, totp.at(now + 30), now=now) == "totp"
    assert two_factor.verify_second_factor(db.session, user, totp.at(now + 95), now=now + 1) is None
    assert two_factor.verify_second_factor(db.session, user, totp.at(now - 30), now=now + 1) is None  # earlier step


def test_a_recovery_code_signs_in_once(app, user):
    _secret, codes = _enrol(app, _signed_in_client(app, user))
    client = app.test_client()
    _password_step(app, client, user)
    assert _fresh(app, client, "POST", "/login/code", data={"code": codes[3].upper()}).status_code == 302
    other = app.test_client()
    _password_step(app, other, user)
    assert _fresh(app, other, "POST", "/login/code", data={"code": codes[3]}).status_code == 200
    assert two_factor.unused_recovery_codes(db.session, user.id) == 9


def test_new_recovery_codes_replace_the_old_ones(app, user):
    client = _signed_in_client(app, user)
    _secret, old = _enrol(app, client)
    page = _fresh(app, client, "POST", "/settings/two-factor/recovery-codes").get_data(as_text=True)
    new = re.findall(r"<li>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</li>", page)
    assert len(new) == 10 and not set(new) & set(old)
    assert two_factor.verify_second_factor(db.session, user, old[0]) is None
    assert two_factor.verify_second_factor(db.session, user, new[0]) == "recovery"


@pytest.mark.parametrize("app_config", [{"ENCRYPTION_KEY": KEY, "RATELIMIT_ENABLED": True,
                                         "LOGIN_RATE_LIMIT": "3 per minute"}])
def test_the_code_step_is_throttled_like_the_password(app, user, app_config):
    _enrol(app, _signed_in_client(app, user))
    client = app.test_client()
    _password_step(app, client, user)
    statuses = [_fresh(app, client, "POST", "/login/code", data={"code": "000000"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_keys_rotate_re_encrypts_the_totp_secret(app, user, runner):
    secret, _codes = _enrol(app, _signed_in_client(app, user))
    newer = Fernet.generate_key().decode()
    app.config["ENCRYPTION_KEY"] = f"{newer},{KEY}"
    from dashboard import encryption
    encryption.init_app(app)
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    stored = db.session.scalar(select(TotpCredential.secret_encrypted).where(TotpCredential.user_id == user.id))
    assert Fernet(newer).decrypt(stored.encode()).decode() == secret


def test_when_an_admin_requires_two_factor_users_without_it_enrol_after_their_password(app, user):
    admin = factories.create_user(db.session, "admin@example.com", role=Role.ADMIN)
    admin_client = _signed_in_client(app, admin)
    refused = _fresh(app, admin_client, "POST", "/admin/settings/two-factor", data={"required": "y"},
                     follow_redirects=True)
    assert "for yourself first" in refused.get_data(as_text=True)
    _enrol(app, admin_client)
    assert _fresh(app, admin_client, "POST", "/admin/settings/two-factor", data={"required": "y"}).status_code == 302
    assert two_factor.two_factor_required(db.session)
    client = app.test_client()
    response = _password_step(app, client, user)
    assert response.headers["Location"].endswith("/settings/two-factor")
    assert _fresh(app, client, "GET", "/transactions").headers["Location"].endswith("/settings/two-factor")
    _enrol(app, client)
    assert _fresh(app, client, "GET", "/transactions").status_code == 200


def test_an_admin_resets_one_users_two_factor_audited_and_their_sessions_end(app, user):
    user_client = _signed_in_client(app, user)
    _enrol(app, user_client)
    admin = factories.create_user(db.session, "admin@example.com", role=Role.ADMIN)
    admin_client = _signed_in_client(app, admin)
    users_page = _fresh(app, admin_client, "GET", "/admin/users").get_data(as_text=True)
    assert "Reset two-factor" in users_page
    assert _fresh(app, admin_client, "POST", f"/admin/users/{user.id}/two-factor/reset").status_code == 302
    assert not two_factor.is_enrolled(db.session, user.id)
    assert _fresh(app, user_client, "GET", "/").status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == AuditAction.USER_RESET_TWO_FACTOR.value))
    assert (event.actor_id, event.owner_id) == (admin.id, user.id)
    assert _password_step(app, app.test_client(), user).headers["Location"].endswith("/")


def test_users_reset_2fa_from_the_cli(app, user, runner):
    _enrol(app, _signed_in_client(app, user))
    listed = runner.invoke(args=["users", "list"])
    assert "alice@example.com,user,active," in listed.output and listed.output.strip().endswith(",on")
    result = runner.invoke(args=["users", "reset-2fa", user.email])
    assert result.exit_code == 0 and "reset for alice@example.com" in result.output
    assert not two_factor.is_enrolled(db.session, user.id)
    again = runner.invoke(args=["users", "reset-2fa", user.email])
    assert again.exit_code != 0 and "no two-factor sign-in to reset" in again.output
    assert runner.invoke(args=["users", "reset-2fa", "ghost@example.com"]).exit_code != 0


def test_turning_it_off_needs_a_code(app, user):
    client = _signed_in_client(app, user)
    secret, _codes = _enrol(app, client)
    assert _fresh(app, client, "POST", "/settings/two-factor/off", data={"code": "000000"}).status_code == 422
    assert two_factor.is_enrolled(db.session, user.id)
    _age_last_step(user)
    assert _fresh(app, client, "POST", "/settings/two-factor/off",
                  data={"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert not two_factor.is_enrolled(db.session, user.id)
