"""Sharing an account: the owner's form on the account page and `flask shares add|remove`."""
from sqlalchemy import select

from dashboard.audit import AuditAction
from dashboard.models import AccountShare, AuditEvent
from tests import factories


def _share_of(db, account, user):
    return db.session.scalar(select(AccountShare).where(AccountShare.account_id == account.id,
                                                        AccountShare.user_id == user.id))


def test_the_owner_shares_from_the_account_page_and_stops(db, user, auth_client):
    account = factories.create_account(db.session, user, name="Joint")
    partner = factories.create_user(db.session, "partner@example.com")
    page = auth_client.get(f"/accounts/{account.id}").get_data(as_text=True)
    assert 'id="share-form"' in page and "Only you can see this account." in page
    response = auth_client.post(f"/accounts/{account.id}/shares", data={"email": "Partner@Example.com",
                                                                         "access": "write"})
    assert response.status_code == 302
    assert _share_of(db, account, partner).can_write is True
    page = auth_client.get(f"/accounts/{account.id}").get_data(as_text=True)
    assert "partner@example.com · read and change transactions" in page
    auth_client.post(f"/accounts/{account.id}/shares", data={"email": "partner@example.com", "access": "read"})
    db.session.expire_all()
    assert _share_of(db, account, partner).can_write is False
    auth_client.post(f"/accounts/{account.id}/shares/remove", data={"email": "partner@example.com"})
    assert _share_of(db, account, partner) is None
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.owner_id == user.id)).all()
    assert actions.count(AuditAction.SHARE_ADD.value) == 2 and AuditAction.SHARE_REMOVE.value in actions


def test_sharing_with_nobody_or_oneself_changes_nothing(db, user, auth_client):
    account = factories.create_account(db.session, user)
    for email in ("nobody@example.com", user.email, "\x00"):
        response = auth_client.post(f"/accounts/{account.id}/shares", data={"email": email, "access": "read"},
                                    follow_redirects=True)
        assert response.status_code == 200 and "Nothing changed" in response.get_data(as_text=True)
    assert db.session.scalars(select(AccountShare)).all() == []


def test_shares_cli_adds_and_removes(db, user, runner):
    account = factories.create_account(db.session, user, name="Household")
    partner = factories.create_user(db.session, "partner@example.com")
    result = runner.invoke(args=["shares", "add", "--owner", user.email, "--account", "household",
                                 "--with", partner.email, "--write"])
    assert result.exit_code == 0, result.output
    assert "read-write" in result.output and _share_of(db, account, partner).can_write
    export = runner.invoke(args=["export", "--user", partner.email])
    assert export.exit_code == 0 and export.output.splitlines()[0].endswith(",shared_by")
    result = runner.invoke(args=["shares", "remove", "--owner", user.email, "--account", "Household",
                                 "--with", partner.email])
    assert result.exit_code == 0 and _share_of(db, account, partner) is None
    again = runner.invoke(args=["shares", "remove", "--owner", user.email, "--account", "Household",
                                "--with", partner.email])
    assert again.exit_code != 0 and "is not shared with" in again.output and "Traceback" not in again.output
    missing = runner.invoke(args=["shares", "add", "--owner", user.email, "--account", "Household",
                                  "--with", "ghost@example.com"])
    assert missing.exit_code != 0 and "no active user ghost@example.com" in missing.output


def test_deleting_an_account_removes_its_shares(db, user, auth_client):
    account = factories.create_account(db.session, user)
    partner = factories.create_user(db.session, "partner@example.com")
    auth_client.post(f"/accounts/{account.id}/shares", data={"email": partner.email, "access": "read"})
    assert db.session.scalars(select(AccountShare)).all() != []
    assert auth_client.post(f"/accounts/{account.id}/delete").status_code == 302
    assert db.session.scalars(select(AccountShare)).all() == []
