"""The town's electronic signature on the PDF copy of a filed application (申請の控え).

The copy is signed with the town's certificate (PAdES baseline B-B: a CMS signature with the
signing certificate bound in its signed attributes, no timestamp), so anyone holding the PDF can
check that it comes from the town and that nobody changed it since. The certificate and key are
PEM files named by `PROCEDURES_SIGNING_CERT` and `PROCEDURES_SIGNING_KEY`; for the demo,
`manage.py procedures_signing_certificate` makes a self-signed pair (`create_demo_certificate`).
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from yakuba.core.models import Municipality

# Recorded inside the signature itself, so the same words in every language.
SIGNING_REASON = "申請の控え"
SIGNATURE_FIELD = "TownSignature"
DEMO_CERTIFICATE_YEARS = 5


class SigningCertificateMissing(ImproperlyConfigured):
    """The town's certificate or key file is not where the settings say."""


@dataclass(frozen=True)
class Verification:
    """What checking a signed copy found.

    `intact`: the signed bytes are unchanged. `valid`: intact, signed by the town's certificate,
    and nothing was added to the file after signing.
    """

    valid: bool
    intact: bool
    signer: str
    signed_at: datetime.datetime | None


def signing_paths() -> tuple[Path, Path]:
    """The town's certificate and private key files, as configured."""
    return Path(settings.PROCEDURES_SIGNING_CERT), Path(settings.PROCEDURES_SIGNING_KEY)


def _existing_signing_paths() -> tuple[Path, Path]:
    cert_path, key_path = signing_paths()
    missing = [str(path) for path in (cert_path, key_path) if not path.is_file()]
    if missing:
        raise SigningCertificateMissing(
            f"The town's signing certificate or key is missing ({', '.join(missing)}). Set "
            "PROCEDURES_SIGNING_CERT and PROCEDURES_SIGNING_KEY to the town's PEM files, or run "
            "`manage.py procedures_signing_certificate` for a self-signed demo certificate."
        )
    return cert_path, key_path


def sign_pdf(pdf: bytes) -> bytes:
    """Sign a PDF with the town's certificate (PAdES B-B, invisible signature)."""
    cert_path, key_path = _existing_signing_paths()
    signer = signers.SimpleSigner.load(key_file=str(key_path), cert_file=str(cert_path))
    if signer is None:
        raise SigningCertificateMissing(
            f"The town's signing certificate ({cert_path}) or key ({key_path}) cannot be read."
        )
    municipality = Municipality.current()
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=SIGNING_REASON,
        location=str(municipality) if municipality else None,
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    signed = signers.sign_pdf(writer, metadata, signer=signer)
    return bytes(signed.getvalue())


def verify_pdf(pdf: bytes) -> Verification:
    """Check a copy's signature against the town's own certificate.

    A file that cannot be read as a PDF, or carries no signature, is neither valid nor intact.
    """
    cert_path, _ = _existing_signing_paths()
    town_certificate = asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(cert_path.read_bytes()).public_bytes(
            serialization.Encoding.DER
        )
    )
    unreadable = Verification(valid=False, intact=False, signer="", signed_at=None)
    try:
        signatures = PdfFileReader(BytesIO(pdf)).embedded_signatures
    except (PdfReadError, ValueError):
        return unreadable
    if not signatures:
        return unreadable
    status = validate_pdf_signature(
        signatures[-1], ValidationContext(trust_roots=[town_certificate])
    )
    subject = status.signing_cert.subject
    return Verification(
        valid=status.bottom_line and status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        intact=status.intact,
        signer=subject.native.get("common_name") or subject.human_friendly,
        signed_at=status.signer_reported_dt,
    )


def create_demo_certificate() -> bool:
    """Make a self-signed certificate and key for the demo town where the settings point, unless
    both are there already. Returns whether it made them.

    Refuses to replace one half of a pair: a certificate without its key (or the reverse) is an
    operator's mistake to look at, not something to paper over.
    """
    cert_path, key_path = signing_paths()
    if cert_path.exists() and key_path.exists():
        return False
    if cert_path.exists() or key_path.exists():
        raise SigningCertificateMissing(
            f"Only one of the signing certificate ({cert_path}) and key ({key_path}) exists; "
            "remove it or supply the other."
        )
    municipality = Municipality.current()
    town = municipality.name if municipality else "Yakuba"
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, str(municipality or town)),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{town} (デモ)"),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365 * DEMO_CERTIFICATE_YEARS + 1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.parent.mkdir(parents=True, exist_ok=True)
    # The key is readable by its owner only, from the moment the file exists.
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as key_file:
        key_file.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return True
