//! RS256 with the RSA keys aws-lc-rs refuses (1024 to 2047 bits), through
//! OpenSSL.
//!
//! aws-lc signs such keys too, but at 0.86-0.89x the speed of OpenSSL: OpenSSL
//! has code for 512-bit numbers (`rsaz_512`, the size of a 1024-bit key's CRT
//! halves) and aws-lc has none (`scripts/bench/bench-rsa-raw.sh` measures both).
//! OpenSSL's private-key operation is blinded with a fresh random factor,
//! uses constant-time exponentiation with the CRT, and checks its result with
//! the public exponent before returning it. The `vendored` feature builds
//! OpenSSL from source and links it statically: no binary needs an OpenSSL on
//! the machine it runs on. No key reaches the `rsa` crate (RUSTSEC-2023-0071).
//!
//! OpenSSL frees the key's numbers with `BN_clear_free`, which wipes them;
//! every encoding of the private key made here is held in a [`Zeroizing`]
//! buffer.

use openssl::pkey::{Id, PKey, Private};
use openssl::rsa::{Padding, Rsa};
use zeroize::Zeroizing;

use super::{KeyError, KeyFormat, SignError};

/// The DER prefix of a SHA-256 `DigestInfo` (RFC 8017, section 9.2, note 1):
/// RSASSA-PKCS1-v1_5 signs this followed by the 32-byte digest.
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// An RSA private key held by OpenSSL, with its public half (PKCS#1 DER).
pub(super) struct LegacyKey {
    rsa: Rsa<Private>,
    public: Vec<u8>,
}

impl LegacyKey {
    /// Parses a key aws-lc-rs parsed and refused as too small.
    ///
    /// Only for such keys: aws-lc checked their numbers (`RSA_check_key`)
    /// before it called them too small, and OpenSSL's parsers check nothing
    /// (`small_keys_whose_numbers_disagree_are_refused_at_load` keeps the
    /// order true).
    ///
    /// The DER must be exactly what OpenSSL encodes for the key it holds (a
    /// PKCS#8 key: version 0, no attributes), so trailing bytes are refused:
    /// OpenSSL's own parsers stop at the end of the key and ignore the rest.
    ///
    /// # Errors
    /// [`KeyError::NotRsa`] for a PKCS#8 key of another algorithm,
    /// [`KeyError::Malformed`] for anything else that is not such a key.
    pub(super) fn from_der(der: &[u8], format: KeyFormat) -> Result<Self, KeyError> {
        let malformed = || KeyError::Malformed {
            format: format.name(),
        };
        let (rsa, encoded) = match format {
            KeyFormat::Pkcs1 => {
                let rsa = Rsa::private_key_from_der(der).map_err(|_| malformed())?;
                let encoded = Zeroizing::new(rsa.private_key_to_der().map_err(|_| malformed())?);
                (rsa, encoded)
            }
            KeyFormat::Pkcs8 => {
                let pkey = PKey::private_key_from_pkcs8(der).map_err(|_| malformed())?;
                if pkey.id() != Id::RSA {
                    return Err(KeyError::NotRsa);
                }
                let encoded = Zeroizing::new(pkey.private_key_to_pkcs8().map_err(|_| malformed())?);
                (pkey.rsa().map_err(|_| malformed())?, encoded)
            }
        };
        if encoded.as_slice() != der {
            return Err(malformed());
        }
        let public = rsa.public_key_to_der_pkcs1().map_err(|_| malformed())?;
        Ok(Self { rsa, public })
    }

    /// Whether `der` is a PKCS#8 key OpenSSL reads as a key of another
    /// algorithm than RSA.
    pub(super) fn is_pkcs8_of_another_algorithm(der: &[u8]) -> bool {
        PKey::private_key_from_pkcs8(der).is_ok_and(|pkey| pkey.id() != Id::RSA)
    }

    /// The modulus size in bits.
    pub(super) fn bits(&self) -> usize {
        usize::try_from(self.rsa.n().num_bits()).unwrap_or(usize::MAX)
    }

    /// RS256 signature of `message`, as many bytes as the modulus.
    /// Deterministic (the blinding changes how it is computed, not the result).
    pub(super) fn sign_rs256(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, message);
        let mut digest_info = [0_u8; SHA256_DIGEST_INFO.len() + 32];
        let (prefix, hash) = digest_info.split_at_mut(SHA256_DIGEST_INFO.len());
        prefix.copy_from_slice(&SHA256_DIGEST_INFO);
        hash.copy_from_slice(digest.as_ref());
        let len = usize::try_from(self.rsa.size()).map_err(|_| SignError)?;
        let mut signature = vec![0_u8; len];
        // PKCS#1 v1.5 type 1 padding of a DigestInfo is RSASSA-PKCS1-v1_5
        // (what `RSA_sign` does inside).
        let written = self
            .rsa
            .private_encrypt(&digest_info, &mut signature, Padding::PKCS1)
            .map_err(|_| SignError)?;
        if written != len {
            return Err(SignError);
        }
        Ok(signature)
    }

    /// The public half as a PKCS#1 `RSAPublicKey` DER.
    pub(super) fn public_key_der(&self) -> &[u8] {
        &self.public
    }

    /// The key as a PKCS#8 `PrivateKeyInfo` DER, in a buffer wiped on drop.
    pub(super) fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let pkey = PKey::from_rsa(self.rsa.clone()).map_err(|_| KeyError::Generate)?;
        Ok(Zeroizing::new(
            pkey.private_key_to_pkcs8()
                .map_err(|_| KeyError::Generate)?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn der(pem: &str) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(
            pem_rfc7468::decode_vec(pem.trim().as_bytes())
                .expect("pem")
                .1,
        )
    }

    #[test]
    fn the_digest_info_prefix_is_what_the_rfc_and_aws_lc_rs_sign() {
        // A 2048-bit key goes through both paths: aws-lc-rs builds the
        // DigestInfo itself, so equal signatures check the prefix.
        let pem = customauth_testkit::fixtures::keys::K2048_PKCS1;
        let key = LegacyKey::from_der(&der(pem), KeyFormat::Pkcs1).expect("parses");
        let modern = super::super::SigningKey::from_pem(pem).expect("parses");
        assert!(!modern.is_legacy());
        for message in [&b""[..], b"one", &[0xff; 1000]] {
            assert_eq!(
                key.sign_rs256(message).ok(),
                modern.sign_rs256(message).ok()
            );
        }
        assert_eq!(key.public_key_der(), modern.public_key().as_der());
    }

    #[test]
    fn pkcs8_encoding_round_trips_byte_for_byte() {
        let pkcs8 = der(customauth_testkit::fixtures::keys::K1024_PKCS8);
        let key = LegacyKey::from_der(&pkcs8, KeyFormat::Pkcs8).expect("parses");
        assert_eq!(key.bits(), 1024);
        assert_eq!(key.to_pkcs8_der().expect("encodes").as_slice(), &pkcs8[..]);
    }

    #[test]
    fn other_algorithms_are_told_apart_from_garbage() {
        let ec = der(customauth_testkit::fixtures::keys::EC_P256_PKCS8);
        assert!(LegacyKey::is_pkcs8_of_another_algorithm(&ec));
        assert!(matches!(
            LegacyKey::from_der(&ec, KeyFormat::Pkcs8),
            Err(KeyError::NotRsa)
        ));
        let rsa = der(customauth_testkit::fixtures::keys::K1024_PKCS8);
        assert!(!LegacyKey::is_pkcs8_of_another_algorithm(&rsa));
        for garbage in [&b""[..], b"\x30", b"\x30\x03\x02\x01\x00", &[0xa5; 64]] {
            assert!(!LegacyKey::is_pkcs8_of_another_algorithm(garbage));
            for format in [KeyFormat::Pkcs1, KeyFormat::Pkcs8] {
                assert!(matches!(
                    LegacyKey::from_der(garbage, format),
                    Err(KeyError::Malformed { .. })
                ));
            }
        }
    }

    #[test]
    fn a_pkcs1_key_in_a_pkcs8_slot_and_the_reverse_are_refused() {
        let pkcs1 = der(customauth_testkit::fixtures::keys::K1024_PKCS1);
        let pkcs8 = der(customauth_testkit::fixtures::keys::K1024_PKCS8);
        assert!(LegacyKey::from_der(&pkcs1, KeyFormat::Pkcs8).is_err());
        assert!(LegacyKey::from_der(&pkcs8, KeyFormat::Pkcs1).is_err());
    }
}
