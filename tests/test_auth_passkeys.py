"""Passkeys (WebAuthn, py_webauthn) as a second factor, checked on the server with a software authenticator:
single-use challenges, the signature counter, another user's or a removed passkey, origin and relying party,
and the login's passkey step over HTTP. Chromium's virtual authenticator drives them in tests/e2e/test_browser.py."""
from datetime import timedelta

import pyotp
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, update

from dashboard.audit import Actor, AuditAction
from dashboard.auth import passkeys, two_factor
from dashboard.extensions import db
from dashboard.models import AuditEvent, Passkey, PasskeyChallenge
from dashboard.models.base import utcnow
from tests import factories
from tests.webauthn_authenticator import SoftwareAuthenticator

RP_ID, ORIGIN = "localhost", "http://localhost"  # the test client's host


@pytest.fixture
def app_config():
    return {"ENCRYPTION_KEY": Fernet.generate_key().decode()}


def _register(user, authenticator: SoftwareAuthenticator, name: str = "Laptop") -> Passkey:
    options = passkeys.registration_options(db.session, user, RP_ID, "Financial Dashboard")
    return passkeys.register_passkey(db.session, Actor(user.id), user, name, authenticator.register(options, ORIGIN),
                                     RP_ID, ORIGIN)


def _answer(user, authenticator: SoftwareAuthenticator, **kwargs) -> str:
    return authenticator.sign_in(passkeys.authentication_options(db.session, user, RP_ID), ORIGIN, **kwargs)


def test_a_registered_passkey_signs_in_and_its_counter_and_last_use_are_kept(user):
    authenticator = SoftwareAuthenticator()
    passkey = _register(user, authenticator)
    assert (passkey.name, passkey.sign_count, passkey.last_used_at) == ("Laptop", 0, None)
    assert passkey.credential_id == authenticator.credential_id
    used = passkeys.verify_passkey(db.session, user, _answer(user, authenticator), RP_ID, ORIGIN)
    db.session.refresh(used)
    assert used.id == passkey.id and used.sign_count == 1 and used.last_used_at is not None
    added, = db.session.scalars(select(AuditEvent).where(AuditEvent.action == AuditAction.TWO_FACTOR_PASSKEY_ADDED))
    assert (added.owner_id, added.details["name"]) == (user.id, "Laptop")


def test_a_challenge_is_used_once(user):
    authenticator = SoftwareAuthenticator()
    _register(user, authenticator)
    answer = _answer(user, authenticator)
    passkeys.verify_passkey(db.session, user, answer, RP_ID, ORIGIN)
    with pytest.raises(passkeys.PasskeyError, match="expired or was already used"):
        passkeys.verify_passkey(db.session, user, answer, RP_ID, ORIGIN)
    # A new challenge does not revive the old answer either: it signed the old challenge.
    passkeys.authentication_options(db.session, user, RP_ID)
    with pytest.raises(passkeys.PasskeyError, match="not accepted"):
        passkeys.verify_passkey(db.session, user, answer, RP_ID, ORIGIN)


def test_a_lapsed_challenge_is_refused(user):
    authenticator = SoftwareAuthenticator()
    _register(user, authenticator)
    answer = _answer(user, authenticator)
    db.session.execute(update(PasskeyChallenge).values(
        created_at=utcnow() - timedelta(seconds=passkeys.CHALLENGE_SECONDS + 1)))
    with pytest.raises(passkeys.PasskeyError, match="expired"):
        passkeys.verify_passkey(db.session, user, answer, RP_ID, ORIGIN)


def test_a_counter_that_does_not_grow_is_refused_and_changes_nothing(user):
    """A cloned authenticator shows a counter the server has already seen."""
    authenticator = SoftwareAuthenticator()
    passkey = _register(user, authenticator)
    passkeys.verify_passkey(db.session, user, _answer(user, authenticator), RP_ID, ORIGIN)
    authenticator.sign_count = 0  # the clone's next use shows 1 again
    with pytest.raises(passkeys.PasskeyError, match="not accepted"):
        passkeys.verify_passkey(db.session, user, _answer(user, authenticator), RP_ID, ORIGIN)
    db.session.refresh(passkey)
    assert passkey.sign_count == 1


def test_an_authenticator_without_a_counter_signs_in_each_time(user):
    """Synced passkeys always report 0: nothing to compare, so each use passes on its signature."""
    authenticator = SoftwareAuthenticator(counts=False)
    _register(user, authenticator)
    for _ in range(2):
        assert passkeys.verify_passkey(db.session, user, _answer(user, authenticator), RP_ID, ORIGIN).sign_count == 0


def test_another_users_passkey_and_a_removed_one_are_refused(user):
    bob = factories.create_user(db.session, "bob@example.com")
    bobs = SoftwareAuthenticator()
    _register(bob, bobs)
    mine = SoftwareAuthenticator()
    passkey = _register(user, mine)
    with pytest.raises(passkeys.PasskeyError, match="not registered to your account"):
        passkeys.verify_passkey(db.session, user, _answer(user, bobs), RP_ID, ORIGIN)
    assert passkeys.remove_passkey(db.session, Actor(user.id), user, passkey.id)
    with pytest.raises(passkeys.PasskeyError, match="not registered to your account"):
        passkeys.verify_passkey(db.session, user, _answer(user, mine), RP_ID, ORIGIN)
    assert not passkeys.remove_passkey(db.session, Actor(user.id), user, passkey.id)
    assert not passkeys.remove_passkey(db.session, Actor(user.id), user, passkeys.passkeys_of(db.session, bob.id)[0].id)
    removed, = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == AuditAction.TWO_FACTOR_PASSKEY_REMOVED))
    assert removed.details == {"passkey": passkey.id, "name": "Laptop"}


@pytest.mark.parametrize("origin, rp_id", [("http://evil.example", None), (ORIGIN, "evil.example")])
def test_an_answer_for_another_site_is_refused(user, origin, rp_id):
    authenticator = SoftwareAuthenticator()
    _register(user, authenticator)
    answer = authenticator.sign_in(passkeys.authentication_options(db.session, user, RP_ID), origin, rp_id=rp_id)
    with pytest.raises(passkeys.PasskeyError, match="not accepted"):
        passkeys.verify_passkey(db.session, user, answer, RP_ID, ORIGIN)


@pytest.mark.parametrize("answer", ["", "not json", "{}", "[]", '{"id": "x", "rawId": "x", "response": {}}',
                                    "x" * (passkeys.MAX_RESPONSE_LENGTH + 1)])
def test_garbage_is_refused_in_both_ceremonies_and_stores_nothing(user, answer):
    passkeys.registration_options(db.session, user, RP_ID, "Financial Dashboard")
    with pytest.raises(passkeys.PasskeyError, match="not valid"):
        passkeys.register_passkey(db.session, Actor(user.id), user, "Key", answer, RP_ID, ORIGIN)
    _register(user, SoftwareAuthenticator())
    passkeys.authentication_options(db.session, user, RP_ID)
    with pytest.raises(passkeys.PasskeyError):
        passkeys.verify_passkey(db.session, user, answer, RP_ID, ORIGIN)
    assert len(passkeys.passkeys_of(db.session, user.id)) == 1


def test_registration_needs_its_challenge_a_name_and_a_new_credential(user):
    authenticator = SoftwareAuthenticator()
    options = passkeys.registration_options(db.session, user, RP_ID, "Financial Dashboard")
    answer = authenticator.register(options, ORIGIN)
    with pytest.raises(passkeys.PasskeyError, match="name"):
        passkeys.register_passkey(db.session, Actor(user.id), user, "  ", answer, RP_ID, ORIGIN)
    with pytest.raises(passkeys.PasskeyError, match="already used"):  # the refusal used the challenge up
        passkeys.register_passkey(db.session, Actor(user.id), user, "Laptop", answer, RP_ID, ORIGIN)
    _register(user, authenticator)
    with pytest.raises(passkeys.PasskeyError, match="registered already"):
        _register(user, authenticator, "Again")


def test_resetting_two_factor_removes_the_passkeys(user):
    _register(user, SoftwareAuthenticator())
    db.session.add(two_factor.TotpCredential(user_id=user.id, secret_encrypted="x", confirmed_at=utcnow()))
    two_factor.reset_two_factor(db.session, Actor.system(), user)
    assert passkeys.passkeys_of(db.session, user.id) == []


def _fresh(app, client, method, path, **kwargs):
    db.session.commit()
    with app.app_context():
        return client.open(path, method=method, **kwargs)


def test_the_login_offers_a_passkey_beside_the_code_and_signs_in_with_it(app, user):
    client = app.test_client()
    factories.log_in(client, user.email)
    page = _fresh(app, client, "GET", "/settings/two-factor").get_data(as_text=True)
    secret = page.split('id="totp-key"')[1].split('value="')[1].split('"')[0]
    _fresh(app, client, "POST", "/settings/two-factor", data={"code": pyotp.TOTP(secret).now()})
    _fresh(app, client, "POST", "/settings/two-factor/passkeys/options")
    bad = _fresh(app, client, "POST", "/settings/two-factor/passkeys", data={"name": "Laptop", "credential": "{}"})
    assert bad.status_code == 422 and "the browser&#39;s answer was not valid" in bad.get_data(as_text=True)
    assert 'name="credential" type="hidden" value=""' in bad.get_data(as_text=True)  # the next try starts anew
    authenticator = SoftwareAuthenticator()
    options = _fresh(app, client, "POST", "/settings/two-factor/passkeys/options")
    assert options.status_code == 200 and options.json["rp"]["id"] == RP_ID
    added = _fresh(app, client, "POST", "/settings/two-factor/passkeys",
                   data={"name": "Laptop", "credential": authenticator.register(options.get_data(as_text=True),
                                                                                ORIGIN)})
    assert added.status_code == 302
    page = _fresh(app, client, "GET", "/settings/two-factor").get_data(as_text=True)
    assert 'id="passkeys"' in page and "Laptop" in page and "never" in page

    signed_out = app.test_client()
    assert _fresh(app, signed_out, "POST", "/login/passkey/options").status_code == 400  # no password yet
    _fresh(app, signed_out, "POST", "/login", data={"email": user.email, "password": factories.PASSWORD})
    code_page = _fresh(app, signed_out, "GET", "/login/code").get_data(as_text=True)
    assert "Use a passkey" in code_page and 'id="code"' in code_page
    refused = _fresh(app, signed_out, "POST", "/login/passkey", data={"credential": "{}"})
    assert refused.status_code == 200 and "expired or was already used" in refused.get_data(as_text=True)
    assert _fresh(app, signed_out, "GET", "/").status_code == 302
    options = _fresh(app, signed_out, "POST", "/login/passkey/options").get_data(as_text=True)
    answer = authenticator.sign_in(options, ORIGIN)
    done = _fresh(app, signed_out, "POST", "/login/passkey", data={"credential": answer})
    assert done.status_code == 302 and done.headers["Location"].endswith("/")
    assert _fresh(app, signed_out, "GET", "/").status_code == 200
    login = db.session.scalars(select(AuditEvent).where(AuditEvent.action == AuditAction.AUTH_LOGIN)
                               .order_by(AuditEvent.id.desc())).first()
    assert login.details["second_factor"] == "passkey"


def test_passkeys_are_offered_only_with_two_factor_on(app, user):
    client = app.test_client()
    factories.log_in(client, user.email)
    assert _fresh(app, client, "POST", "/settings/two-factor/passkeys/options").status_code == 409
    assert _fresh(app, client, "POST", "/settings/two-factor/passkeys",
                  data={"name": "Laptop", "credential": "{}"}).status_code == 302
    assert passkeys.passkeys_of(db.session, user.id) == []
