"""WebAuthn passkeys as a second way through the login's second step, with py_webauthn, without a request.

A passkey is registered only while two-factor sign-in (TOTP) is on, so the recovery codes and the admin's
reset keep working as they are; turning two-factor off or resetting it removes the passkeys too. Each
ceremony's challenge is kept in the database (one per user and ceremony) and deleted by the check that reads
it, so a response can be checked once only, by any app process. The signature counter must grow from one use
to the next, unless the authenticator keeps none (always 0, as synced passkeys do).
"""
from __future__ import annotations

import json
from datetime import timedelta
from enum import StrEnum

import webauthn
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from webauthn.helpers import parse_authentication_credential_json, parse_registration_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from dashboard.audit import Actor, AuditAction, record_event
from dashboard.models import Passkey, PasskeyChallenge, User
from dashboard.models.base import utcnow

CHALLENGE_SECONDS = 300
TIMEOUT_MS = CHALLENGE_SECONDS * 1000
MAX_NAME_LENGTH = 64
MAX_RESPONSE_LENGTH = 16_384  # a response is a few hundred bytes of base64url; anything far larger is refused
PASSKEY_FAILED = "That passkey was not accepted. Try again, or enter a code instead."


class Ceremony(StrEnum):
    REGISTER = "register"
    SIGN_IN = "sign_in"


class PasskeyError(ValueError):
    """A refused registration or sign-in, with a message for the user."""


def passkeys_of(session: Session, user_id: int) -> list[Passkey]:
    return list(session.scalars(select(Passkey).where(Passkey.user_id == user_id).order_by(Passkey.id)))


def _new_challenge(session: Session, user_id: int, ceremony: Ceremony, challenge: bytes) -> None:
    """Replace the user's outstanding challenge for this ceremony."""
    session.execute(delete(PasskeyChallenge).where(PasskeyChallenge.user_id == user_id,
                                                   PasskeyChallenge.ceremony == ceremony))
    session.add(PasskeyChallenge(user_id=user_id, ceremony=ceremony, challenge=challenge))
    session.flush()


def _take_challenge(session: Session, user_id: int, ceremony: Ceremony) -> bytes:
    """The outstanding challenge, deleted by this call (one conditional DELETE, so two racing checks cannot
    both have it); PasskeyError when there is none or it has lapsed."""
    found = session.execute(select(PasskeyChallenge.id, PasskeyChallenge.challenge, PasskeyChallenge.created_at)
                            .where(PasskeyChallenge.user_id == user_id, PasskeyChallenge.ceremony == ceremony)).first()
    taken = found is not None and session.execute(
        delete(PasskeyChallenge).where(PasskeyChallenge.id == found.id)
        .execution_options(synchronize_session=False)).rowcount == 1
    if not taken or utcnow() - found.created_at > timedelta(seconds=CHALLENGE_SECONDS):
        raise PasskeyError("That passkey request has expired or was already used. Try again.")
    return found.challenge


def registration_options(session: Session, user: User, rp_id: str, rp_name: str) -> str:
    """The JSON options for ``navigator.credentials.create``; the challenge is stored for the check."""
    options = webauthn.generate_registration_options(
        rp_id=rp_id, rp_name=rp_name, user_name=user.email, user_id=str(user.id).encode(), timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED, user_verification=UserVerificationRequirement.PREFERRED),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=key.credential_id)
                             for key in passkeys_of(session, user.id)])
    _new_challenge(session, user.id, Ceremony.REGISTER, options.challenge)
    return webauthn.options_to_json(options)


def register_passkey(session: Session, actor: Actor, user: User, name: str, response: str, rp_id: str,
                     origin: str) -> Passkey:
    """Check the browser's answer to the registration options and keep the passkey (audited)."""
    challenge = _take_challenge(session, user.id, Ceremony.REGISTER)
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH or "\x00" in name:
        raise PasskeyError(f"Give the passkey a name of 1 to {MAX_NAME_LENGTH} characters.")
    try:
        verified = webauthn.verify_registration_response(
            credential=parse_registration_credential_json(_bounded(response)), expected_challenge=challenge,
            expected_rp_id=rp_id, expected_origin=origin)
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise PasskeyError("The passkey could not be registered: the browser's answer was not valid.") from error
    if session.scalar(select(Passkey.id).where(Passkey.credential_id == verified.credential_id)) is not None:
        raise PasskeyError("That passkey is registered already.")
    passkey = Passkey(user_id=user.id, credential_id=verified.credential_id,
                      public_key=verified.credential_public_key, sign_count=verified.sign_count, name=name)
    session.add(passkey)
    session.flush()
    record_event(session, AuditAction.TWO_FACTOR_PASSKEY_ADDED, actor, owner_id=user.id, target=user.email,
                 details={"passkey": passkey.id, "name": name})
    return passkey


def authentication_options(session: Session, user: User, rp_id: str) -> str:
    """The JSON options for ``navigator.credentials.get``, allowing only the user's passkeys."""
    options = webauthn.generate_authentication_options(
        rp_id=rp_id, timeout=TIMEOUT_MS, user_verification=UserVerificationRequirement.PREFERRED,
        allow_credentials=[PublicKeyCredentialDescriptor(id=key.credential_id)
                           for key in passkeys_of(session, user.id)])
    _new_challenge(session, user.id, Ceremony.SIGN_IN, options.challenge)
    return webauthn.options_to_json(options)


def verify_passkey(session: Session, user: User, response: str, rp_id: str, origin: str) -> Passkey:
    """The user's passkey that signed the outstanding sign-in challenge; PasskeyError for anything else
    (another user's or a removed passkey, a reused challenge, a signature counter that did not grow)."""
    challenge = _take_challenge(session, user.id, Ceremony.SIGN_IN)
    try:
        credential = parse_authentication_credential_json(_bounded(response))
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise PasskeyError(PASSKEY_FAILED) from error
    passkey = session.scalar(select(Passkey).where(Passkey.user_id == user.id,
                                                   Passkey.credential_id == credential.raw_id))
    if passkey is None:
        raise PasskeyError("That passkey is not registered to your account (it may have been removed). "
                           "Use another passkey or enter a code.")
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id, expected_origin=origin,
            credential_public_key=passkey.public_key, credential_current_sign_count=passkey.sign_count)
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise PasskeyError(PASSKEY_FAILED) from error
    # The counter moves only from the value this check read, so two uses racing cannot both pass.
    moved = session.execute(
        update(Passkey).where(Passkey.id == passkey.id, Passkey.sign_count == passkey.sign_count)
        .values(sign_count=verified.new_sign_count, last_used_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    session.expire(passkey)
    if moved != 1:
        raise PasskeyError(PASSKEY_FAILED)
    return passkey


def remove_passkey(session: Session, actor: Actor, user: User, passkey_id: int) -> bool:
    """Remove one of the user's passkeys (audited); False when the user has none with that id."""
    passkey = session.scalar(select(Passkey).where(Passkey.id == passkey_id, Passkey.user_id == user.id))
    if passkey is None:
        return False
    session.delete(passkey)
    record_event(session, AuditAction.TWO_FACTOR_PASSKEY_REMOVED, actor, owner_id=user.id, target=user.email,
                 details={"passkey": passkey_id, "name": passkey.name})
    session.flush()
    return True


def remove_every_passkey(session: Session, user_id: int) -> None:
    session.execute(delete(Passkey).where(Passkey.user_id == user_id))
    session.execute(delete(PasskeyChallenge).where(PasskeyChallenge.user_id == user_id))


def _bounded(response: str) -> str:
    if not isinstance(response, str) or not response or len(response) > MAX_RESPONSE_LENGTH:
        raise ValueError("no passkey response")
    json.loads(response)  # a ValueError for text that is not JSON, before the library reads it
    return response
