"""Two-factor sign-in with TOTP (RFC 6238, pyotp) and one-time recovery codes, without a request.

The secret is stored encrypted (``dashboard.encryption``) and is confirmed by a first code before it counts.
A code is accepted within one time step of drift either way, and only once: the step it matched is stored,
and a code of that step or an earlier one is refused (a replay), by one conditional UPDATE so two requests
racing with the same code cannot both pass. Recovery codes are stored as sha256 hashes and used up the same
way.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
import segno
from sqlalchemy import Exists, ScalarSelect, delete, exists, or_, select, update
from sqlalchemy.orm import Session

from dashboard import encryption
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.auth.passkeys import remove_every_passkey
from dashboard.auth.sessions import end_every_session
from dashboard.models import InstallationSetting, RecoveryCode, TotpCredential, User
from dashboard.models.base import utcnow
from dashboard.models.installation import REQUIRE_TWO_FACTOR

ISSUER = "Financial Dashboard"
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper without doubt
RECOVERY_GROUPS, RECOVERY_GROUP_LENGTH = 3, 4  # "abcd-efgh-jkmn": about 59 random bits
DRIFT_STEPS = 1


class TwoFactorError(ValueError):
    """A refused step (a wrong code, already enrolled, not enrolled), with a message for the user."""


def credential_of(session: Session, user_id: int) -> TotpCredential | None:
    return session.scalar(select(TotpCredential).where(TotpCredential.user_id == user_id))


def enrolled(user_id) -> Exists:
    """Whether the user (an id, or a column such as ``User.id``) has confirmed an authenticator, as SQL."""
    return exists().where(TotpCredential.user_id == user_id, TotpCredential.confirmed_at.is_not(None))


def is_enrolled(session: Session, user_id: int) -> bool:
    return bool(session.scalar(select(enrolled(user_id))))


def enrolled_user_ids(session: Session) -> set[int]:
    """For lists of users: who has two-factor on, in one query."""
    return set(session.scalars(select(TotpCredential.user_id).where(TotpCredential.confirmed_at.is_not(None))))


def pending_secret(session: Session, user: User) -> str:
    """The secret being enrolled (made now, or kept from the page's last visit); TwoFactorError when enrolled."""
    credential = credential_of(session, user.id)
    if credential is not None and credential.confirmed_at is not None:
        raise TwoFactorError("Two-factor sign-in is already on.")
    if credential is None:
        credential = TotpCredential(user_id=user.id, secret_encrypted=encryption.encrypt(pyotp.random_base32()))
        session.add(credential)
        session.flush()
    return encryption.decrypt(credential.secret_encrypted)


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_code_svg(uri: str) -> str:
    """The QR code of ``uri`` as inline SVG markup: made on the server, no script, nothing loaded."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff",
                                                 title="QR code for your authenticator app")


def _matching_step(secret: str, code: str, now: float) -> int | None:
    """The time step (within the drift) whose code is ``code``; None when none is."""
    totp = pyotp.TOTP(secret)
    current = int(now) // totp.interval
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _use_totp(session: Session, credential: TotpCredential, code: str, now: float | None) -> bool:
    step = _matching_step(encryption.decrypt(credential.secret_encrypted), code, time.time() if now is None else now)
    if step is None:
        return False
    used = session.execute(
        update(TotpCredential).where(TotpCredential.id == credential.id, or_(
            TotpCredential.last_used_step.is_(None), TotpCredential.last_used_step < step))
        .values(last_used_step=step).execution_options(synchronize_session=False)
    ).rowcount
    session.expire(credential, ["last_used_step"])
    return used == 1


def confirm_enrolment(session: Session, actor: Actor, user: User, code: str, now: float | None = None) -> list[str]:
    """Turn two-factor on once ``code`` matches the pending secret; the new recovery codes, shown once."""
    credential = credential_of(session, user.id)
    if credential is None or credential.confirmed_at is not None:
        raise TwoFactorError("Start again: open the two-factor page and scan the new code.")
    if not _use_totp(session, credential, _digits(code), now):
        raise TwoFactorError("That code does not match: check the time on your phone and enter the current code.")
    credential.confirmed_at = utcnow()
    record_event(session, AuditAction.TWO_FACTOR_ENABLE, actor, owner_id=user.id, target=user.email)
    return _new_recovery_codes(session, user)


def new_recovery_codes(session: Session, actor: Actor, user: User) -> list[str]:
    """A new set of recovery codes (the old ones stop working), shown once."""
    if not is_enrolled(session, user.id):
        raise TwoFactorError("Turn two-factor sign-in on first.")
    record_event(session, AuditAction.TWO_FACTOR_RECOVERY_CODES, actor, owner_id=user.id, target=user.email)
    return _new_recovery_codes(session, user)


def _new_recovery_codes(session: Session, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["-".join("".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUP_LENGTH))
                      for _ in range(RECOVERY_GROUPS)) for _ in range(RECOVERY_CODES)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(code)) for code in codes)
    session.flush()
    return codes


def unused_recovery_codes(session: Session, user_id: int) -> int:
    return len(session.scalars(select(RecoveryCode.id).where(RecoveryCode.user_id == user_id,
                                                             RecoveryCode.used_at.is_(None))).all())


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(_normalised_recovery_code(code).encode()).hexdigest()


def _normalised_recovery_code(code: str) -> str:
    return "".join(character for character in code.lower() if character.isalnum())


def _digits(code: str) -> str:
    return "".join(code.split())


def verify_second_factor(session: Session, user: User, code: str, now: float | None = None) -> str | None:
    """``"totp"`` or ``"recovery"`` when ``code`` is a current, unused TOTP code or an unused recovery code of the
    user (used up by this call); None otherwise."""
    credential = credential_of(session, user.id)
    if credential is None or credential.confirmed_at is None:
        return None
    digits = _digits(code)
    if digits.isdigit() and len(digits) == 6:
        return "totp" if _use_totp(session, credential, digits, now) else None
    if len(_normalised_recovery_code(code)) != RECOVERY_GROUPS * RECOVERY_GROUP_LENGTH:
        return None
    used = session.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _recovery_hash(code),
                                   RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount
    if used != 1:
        return None
    record_event(session, AuditAction.AUTH_RECOVERY_CODE_USED, Actor(user.id), owner_id=user.id, target=user.email)
    return "recovery"


def _remove_two_factor(session: Session, user: User) -> bool:
    removed = session.execute(delete(TotpCredential).where(TotpCredential.user_id == user.id)).rowcount
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    remove_every_passkey(session, user.id)
    return bool(removed)


def turn_off(session: Session, actor: Actor, user: User, code: str) -> None:
    """The user turns their own two-factor off, proving it with a current code (or a recovery code)."""
    if verify_second_factor(session, user, code) is None:
        raise TwoFactorError("That code does not match, so two-factor sign-in stays on.")
    _remove_two_factor(session, user)
    record_event(session, AuditAction.TWO_FACTOR_DISABLE, actor, owner_id=user.id, target=user.email)


def reset_two_factor(session: Session, actor: Actor, user: User) -> None:
    """An admin's (or the CLI's) reset for a user who lost their authenticator: two-factor off, every session
    of theirs ended, audited. They enrol again after their next password login (at once when it is required)."""
    if not _remove_two_factor(session, user):
        raise ValueError(f"{user.email} has no two-factor sign-in to reset")
    end_every_session(session, user)
    record_event(session, AuditAction.USER_RESET_TWO_FACTOR, actor, owner_id=user.id, target=user.email)


def required_setting() -> ScalarSelect:
    """The "require two-factor" setting's value as SQL (NULL when never set), for reading with other columns."""
    return select(InstallationSetting.value).where(InstallationSetting.name == REQUIRE_TWO_FACTOR).scalar_subquery()


def two_factor_required(session: Session) -> bool:
    """Whether an admin requires two-factor of every user."""
    return bool(session.scalar(select(required_setting())))


def require_two_factor(session: Session, actor: Actor, required: bool) -> bool:
    """Require two-factor of everyone (or stop); whether anything changed. The admin who turns it on must have
    it themself, so they are not the first one sent to enrol."""
    if required == two_factor_required(session):
        return False
    if required and (actor.user_id is not None and not is_enrolled(session, actor.user_id)):
        raise TwoFactorError("Turn two-factor sign-in on for yourself first (Settings, Two-factor).")
    setting = session.get(InstallationSetting, REQUIRE_TWO_FACTOR)
    if setting is None:
        session.add(InstallationSetting(name=REQUIRE_TWO_FACTOR, value=required))
    else:
        setting.value = required
    record_event(session, AuditAction.INSTALLATION_SETTING, actor, target=REQUIRE_TWO_FACTOR,
                 details={"value": required})
    session.flush()
    return True
