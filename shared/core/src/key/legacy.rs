//! Sub-2048-bit RSA keys, signed with the `rsa` crate.
//!
//! aws-lc refuses RSA keys under 2048 bits, but the CloudBase console has
//! issued 1024-bit keys and the official SDK signs with them. This module is
//! the only user of the `rsa` crate, which carries RUSTSEC-2023-0071 (the
//! Marvin timing side channel in its private-key operation). Keys of 2048 bits
//! and more never come here; see `deny.toml` and the README.

use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use zeroize::Zeroizing;

use super::{KeyError, KeyFormat, SignError};

/// The legacy key; `rsa::RsaPrivateKey` zeroizes itself on drop.
pub(super) struct LegacyKey {
    signer: rsa::pkcs1v15::SigningKey<rsa::sha2::Sha256>,
}

impl LegacyKey {
    pub(super) fn from_der(der: &[u8], format: KeyFormat) -> Result<Self, KeyError> {
        let key = match format {
            KeyFormat::Pkcs1 => rsa::RsaPrivateKey::from_pkcs1_der(der).ok(),
            KeyFormat::Pkcs8 => rsa::RsaPrivateKey::from_pkcs8_der(der).ok(),
        }
        .ok_or(KeyError::Malformed {
            format: format.name(),
        })?;
        Ok(Self {
            signer: rsa::pkcs1v15::SigningKey::new(key),
        })
    }

    pub(super) fn bits(&self) -> usize {
        self.signer.as_ref().n().bits()
    }

    pub(super) fn sign_rs256(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let sig = self.signer.try_sign(message).map_err(|_| SignError)?;
        Ok(sig.to_vec())
    }

    pub(super) fn public_key_der(&self) -> Vec<u8> {
        self.signer
            .as_ref()
            .to_public_key()
            .to_pkcs1_der()
            .map(|d| d.into_vec())
            .unwrap_or_default()
    }

    pub(super) fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let doc = self
            .signer
            .as_ref()
            .to_pkcs8_der()
            .map_err(|_| KeyError::Generate)?;
        Ok(Zeroizing::new(doc.as_bytes().to_vec()))
    }
}

/// Whether `der` is a well-formed PKCS#8 key of another algorithm (EC, Ed25519...).
pub(super) fn is_non_rsa_pkcs8(der: &[u8]) -> bool {
    use rsa::pkcs8::der::Decode;
    rsa::pkcs8::PrivateKeyInfo::from_der(der)
        .is_ok_and(|info| info.algorithm.oid != rsa::pkcs1::ALGORITHM_OID)
}
