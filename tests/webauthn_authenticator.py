"""A passkey made in Python, for server-side tests: a P-256 key that answers py_webauthn's options as a platform
authenticator does (attestation "none", user present and verified), with real signatures, so the checks under
test run for real. The browser tests use Chromium's own virtual authenticator instead."""
from __future__ import annotations

import base64
import hashlib
import json
import os

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

USER_PRESENT, USER_VERIFIED, ATTESTED = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class SoftwareAuthenticator:
    def __init__(self, sign_count: int = 0, counts: bool = True):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)
        self.sign_count = sign_count
        self.counts = counts  # False: always 0, as synced passkeys report

    def _public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def _authenticator_data(self, rp_id: str, flags: int, attested: bool = False) -> bytes:
        data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + self.sign_count.to_bytes(4, "big")
        if attested:
            data += bytes(16) + len(self.credential_id).to_bytes(2, "big") + self.credential_id + self._public_key()
        return data

    @staticmethod
    def _client_data(kind: str, options: dict, origin: str) -> bytes:
        return json.dumps({"type": kind, "challenge": options["challenge"], "origin": origin,
                           "crossOrigin": False}).encode()

    def register(self, options_json: str, origin: str) -> str:
        """The answer to ``navigator.credentials.create`` for these options."""
        options = json.loads(options_json)
        client_data = self._client_data("webauthn.create", options, origin)
        authenticator_data = self._authenticator_data(options["rp"]["id"], USER_PRESENT | USER_VERIFIED | ATTESTED,
                                                      attested=True)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": authenticator_data})
        return json.dumps({"id": b64url(self.credential_id), "rawId": b64url(self.credential_id),
                           "type": "public-key", "clientExtensionResults": {},
                           "response": {"clientDataJSON": b64url(client_data),
                                        "attestationObject": b64url(attestation)}})

    def sign_in(self, options_json: str, origin: str, rp_id: str | None = None) -> str:
        """The answer to ``navigator.credentials.get``: the counter moves on (when it counts), then signs."""
        options = json.loads(options_json)
        if self.counts:
            self.sign_count += 1
        client_data = self._client_data("webauthn.get", options, origin)
        authenticator_data = self._authenticator_data(rp_id or options["rpId"], USER_PRESENT | USER_VERIFIED)
        signature = self.key.sign(authenticator_data + hashlib.sha256(client_data).digest(),
                                  ec.ECDSA(hashes.SHA256()))
        return json.dumps({"id": b64url(self.credential_id), "rawId": b64url(self.credential_id),
                           "type": "public-key", "clientExtensionResults": {},
                           "response": {"clientDataJSON": b64url(client_data),
                                        "authenticatorData": b64url(authenticator_data),
                                        "signature": b64url(signature), "userHandle": None}})
