//! RSA private keys, parsed once and kept ready to sign RS256.
//!
//! Keys of 2048 bits and more sign with aws-lc-rs (constant-time, as fast as
//! `openssl speed`). The CloudBase console has handed out 1024-bit keys, which
//! aws-lc-rs refuses; those sign with OpenSSL ([`legacy`]: blinded,
//! constant-time, and faster than aws-lc at that size), with a warning at load
//! because they are weak keys. Anything under 1024 bits, or not RSA, is
//! refused. No key reaches the `rsa` crate (RUSTSEC-2023-0071): it is not a
//! dependency.

mod legacy;

use std::fmt;

use legacy::LegacyKey;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{
    KeyPair as _, RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, RSA_PKCS1_SHA256,
    UnparsedPublicKey,
};
use zeroize::Zeroizing;

/// Smallest modulus accepted, in bits (what the SDK accepts with
/// `allowInsecureKeySizes`).
pub const MIN_BITS: usize = 1024;
/// Smallest modulus signed with aws-lc-rs, in bits; smaller keys sign with
/// OpenSSL ([`legacy`]).
pub const MODERN_MIN_BITS: usize = 2048;

/// Why a key was refused. Never carries key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The text is not a PEM block.
    #[error(
        "private_key is not PEM (expected -----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)"
    )]
    NotPem,
    /// A PEM block of another kind (certificate, public key, encrypted key...).
    #[error(
        "private_key is a PEM \"{tag}\" block; expected an unencrypted RSA private key (PRIVATE KEY or RSA PRIVATE KEY)"
    )]
    UnsupportedPem {
        /// The PEM label, e.g. `ENCRYPTED PRIVATE KEY`.
        tag: String,
    },
    /// A well-formed key that is not RSA (EC, Ed25519...).
    #[error("private_key is not an RSA key")]
    NotRsa,
    /// The DER inside the PEM block does not parse.
    #[error("private_key is not a valid {format} RSA private key")]
    Malformed {
        /// `PKCS#1` or `PKCS#8`.
        format: &'static str,
    },
    /// Modulus under [`MIN_BITS`].
    #[error("private_key has {bits} bits; at least {MIN_BITS} are required")]
    TooSmall {
        /// The modulus size.
        bits: usize,
    },
    /// Modulus over 8192 bits.
    #[error("private_key has more than 8192 bits")]
    TooLarge,
    /// The key could not be generated.
    #[error("key generation failed")]
    Generate,
}

/// The signature could not be made (an internal crypto failure; never expected).
#[derive(Debug, thiserror::Error)]
#[error("RSA signing failed")]
pub struct SignError;

enum Inner {
    Modern(KeyPair),
    /// Under [`MODERN_MIN_BITS`]: signed with OpenSSL.
    Legacy(Box<LegacyKey>),
}

/// An RSA private key that signs RS256 (RSASSA-PKCS1-v1_5 with SHA-256).
///
/// Parsed once; signing does no parsing. `Debug` prints `[redacted]`.
/// Key material is wiped when the key is dropped: aws-lc (2048 bits and more)
/// frees its keys with `OPENSSL_free`, which cleanses memory first, and
/// OpenSSL (smaller keys) with `BN_clear_free`.
pub struct SigningKey {
    inner: Inner,
    bits: usize,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({} bits, [redacted])", self.bits)
    }
}

impl SigningKey {
    /// Parses a PKCS#1 (`BEGIN RSA PRIVATE KEY`) or PKCS#8
    /// (`BEGIN PRIVATE KEY`) PEM key.
    ///
    /// # Errors
    /// [`KeyError`] when the text is not such a key, the key is not RSA, or
    /// its modulus is under [`MIN_BITS`] or over 8192 bits.
    pub fn from_pem(pem_text: &str) -> Result<Self, KeyError> {
        // pem-rfc7468 decodes straight into the returned buffer, which is
        // wiped on drop; no intermediate copy of the base64 body is left.
        let (label, der) =
            pem_rfc7468::decode_vec(pem_text.trim().as_bytes()).map_err(|_| KeyError::NotPem)?;
        let der = Zeroizing::new(der);
        let format = match label {
            "RSA PRIVATE KEY" => KeyFormat::Pkcs1,
            "PRIVATE KEY" => KeyFormat::Pkcs8,
            other => {
                return Err(KeyError::UnsupportedPem {
                    tag: other.chars().take(40).collect(),
                });
            }
        };
        Self::from_der(&der, format)
    }

    /// Parses a DER key of the given format.
    ///
    /// # Errors
    /// As [`SigningKey::from_pem`].
    pub fn from_der(der: &[u8], format: KeyFormat) -> Result<Self, KeyError> {
        let parsed = match format {
            KeyFormat::Pkcs1 => KeyPair::from_der(der),
            KeyFormat::Pkcs8 => KeyPair::from_pkcs8(der),
        };
        match parsed {
            Ok(pair) => {
                let bits = pair.public_modulus_len() * 8;
                Ok(Self {
                    inner: Inner::Modern(pair),
                    bits,
                })
            }
            Err(rejected) => match rejected.description_() {
                "TooSmall" => {
                    let key = LegacyKey::from_der(der, format)?;
                    let bits = key.bits();
                    if bits < MIN_BITS {
                        return Err(KeyError::TooSmall { bits });
                    }
                    tracing::warn!(
                        bits,
                        "private key has fewer than {MODERN_MIN_BITS} bits: a weak key. \
                         Download a new key from the CloudBase console."
                    );
                    Ok(Self {
                        inner: Inner::Legacy(Box::new(key)),
                        bits,
                    })
                }
                "TooLarge" => Err(KeyError::TooLarge),
                "WrongAlgorithm" => Err(KeyError::NotRsa),
                _ => Err(
                    if format == KeyFormat::Pkcs8 && LegacyKey::is_pkcs8_of_another_algorithm(der) {
                        KeyError::NotRsa
                    } else {
                        KeyError::Malformed {
                            format: format.name(),
                        }
                    },
                ),
            },
        }
    }

    /// Generates a new key of `bits` bits (2048, 3072, 4096 or 8192).
    ///
    /// # Errors
    /// [`KeyError::Generate`] for other sizes or when generation fails.
    pub fn generate(bits: usize) -> Result<Self, KeyError> {
        let size = match bits {
            2048 => KeySize::Rsa2048,
            3072 => KeySize::Rsa3072,
            4096 => KeySize::Rsa4096,
            8192 => KeySize::Rsa8192,
            _ => return Err(KeyError::Generate),
        };
        let pair = KeyPair::generate(size).map_err(|_| KeyError::Generate)?;
        Ok(Self {
            inner: Inner::Modern(pair),
            bits,
        })
    }

    /// The key as PKCS#8 PEM, for writing a credentials file.
    ///
    /// # Errors
    /// [`KeyError::Generate`] if the key cannot be encoded.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        let der = match &self.inner {
            Inner::Modern(pair) => Zeroizing::new(
                AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(pair)
                    .map_err(|_| KeyError::Generate)?
                    .as_ref()
                    .to_vec(),
            ),
            Inner::Legacy(key) => key.to_pkcs8_der()?,
        };
        pem_rfc7468::encode_string("PRIVATE KEY", pem_rfc7468::LineEnding::LF, &der)
            .map(Zeroizing::new)
            .map_err(|_| KeyError::Generate)
    }

    /// Modulus size in bits.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// Whether this key is under [`MODERN_MIN_BITS`] (signed with OpenSSL
    /// rather than aws-lc-rs).
    pub fn is_legacy(&self) -> bool {
        matches!(self.inner, Inner::Legacy(_))
    }

    /// RS256 signature of `message`: RSASSA-PKCS1-v1_5 over SHA-256, as many
    /// bytes as the modulus. Deterministic.
    ///
    /// # Errors
    /// [`SignError`] on an internal crypto failure.
    pub fn sign_rs256(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        match &self.inner {
            Inner::Modern(pair) => {
                let mut sig = vec![0; pair.public_modulus_len()];
                // aws-lc-rs ignores the rng for PKCS#1 v1.5 (it blinds with its own DRBG).
                pair.sign(
                    &RSA_PKCS1_SHA256,
                    &aws_lc_rs::rand::SystemRandom::new(),
                    message,
                    &mut sig,
                )
                .map_err(|_| SignError)?;
                Ok(sig)
            }
            Inner::Legacy(key) => key.sign_rs256(message),
        }
    }

    /// The public half, for verifying what this key signed.
    pub fn public_key(&self) -> PublicKey {
        let der = match &self.inner {
            Inner::Modern(pair) => pair.public_key().as_ref().to_vec(),
            Inner::Legacy(key) => key.public_key_der().to_vec(),
        };
        PublicKey { der }
    }
}

/// The DER encodings of an RSA private key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFormat {
    /// `RSAPrivateKey` (RFC 8017), PEM label `RSA PRIVATE KEY`.
    Pkcs1,
    /// `PrivateKeyInfo` (RFC 5208), PEM label `PRIVATE KEY`.
    Pkcs8,
}

impl KeyFormat {
    fn name(self) -> &'static str {
        match self {
            Self::Pkcs1 => "PKCS#1",
            Self::Pkcs8 => "PKCS#8",
        }
    }
}

/// An RSA public key (PKCS#1 `RSAPublicKey` DER) that checks RS256 signatures.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    der: Vec<u8>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({} bytes)", self.der.len())
    }
}

impl PublicKey {
    /// The PKCS#1 `RSAPublicKey` DER.
    pub fn as_der(&self) -> &[u8] {
        &self.der
    }

    /// Whether `signature` is a valid RS256 signature of `message`. Keys of
    /// 1024 to 8192 bits.
    pub fn verify_rs256(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, &self.der)
            .verify(message, signature)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1024: &str = customauth_testkit::fixtures::keys::K1024_PKCS1;
    const K1024_8: &str = customauth_testkit::fixtures::keys::K1024_PKCS8;
    const K3072: &str = customauth_testkit::fixtures::keys::K3072_PKCS1;
    const K2048_1: &str = customauth_testkit::fixtures::keys::K2048_PKCS1;
    const K2048_8: &str = customauth_testkit::fixtures::keys::K2048_PKCS8;
    const K4096: &str = customauth_testkit::fixtures::keys::K4096_PKCS8;
    // Made with `openssl genrsa 512 | openssl pkcs8 -topk8 -nocrypt` (refused size).
    const K512: &str = customauth_testkit::fixtures::keys::K512_PKCS8;
    // Made with `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`.
    const EC: &str = customauth_testkit::fixtures::keys::EC_P256_PKCS8;

    #[test]
    fn fixture_keys_parse_with_expected_sizes_and_paths() {
        for (pem, bits, legacy) in [
            (K1024, 1024, true),
            (K1024_8, 1024, true),
            (K2048_1, 2048, false),
            (K3072, 3072, false),
            (K2048_8, 2048, false),
            (K4096, 4096, false),
        ] {
            let key = SigningKey::from_pem(pem).expect("fixture key parses");
            assert_eq!(key.bits(), bits);
            assert_eq!(key.is_legacy(), legacy);
            let sig = key.sign_rs256(b"hello").expect("signs");
            assert_eq!(sig.len(), bits / 8);
            assert!(key.public_key().verify_rs256(b"hello", &sig));
            assert!(!key.public_key().verify_rs256(b"hellO", &sig));
        }
    }

    #[test]
    fn signing_is_deterministic() {
        for pem in [K1024, K2048_1] {
            let key = SigningKey::from_pem(pem).expect("parses");
            assert_eq!(key.sign_rs256(b"m").ok(), key.sign_rs256(b"m").ok());
        }
    }

    fn der(pem: &str) -> Vec<u8> {
        pem_rfc7468::decode_vec(pem.trim().as_bytes())
            .expect("pem")
            .1
    }

    #[test]
    fn small_keys_round_trip_through_pkcs8_pem() {
        for pem in [K1024, K1024_8] {
            let key = SigningKey::from_pem(pem).expect("parses");
            let again =
                SigningKey::from_pem(&key.to_pkcs8_pem().expect("encodes")).expect("parses");
            assert!(again.is_legacy());
            assert_eq!(key.public_key(), again.public_key());
            assert_eq!(key.sign_rs256(b"m").ok(), again.sign_rs256(b"m").ok());
        }
        // The PKCS#1 key re-encoded as PKCS#8 is what `openssl pkcs8 -topk8` makes of it.
        let pkcs8 = SigningKey::from_pem(K1024).expect("parses").to_pkcs8_pem();
        let pkcs8 = der(&pkcs8.expect("encodes"));
        let pkcs1 = der(K1024);
        assert!(pkcs8.ends_with(&pkcs1), "PKCS#8 wraps the PKCS#1 key");
    }

    #[test]
    fn small_keys_whose_numbers_disagree_are_refused_at_load() {
        // OpenSSL's parser takes any numbers; aws-lc-rs parses every key
        // first and checks it (RSA_check_key) before it calls one too small,
        // so a corrupted key fails at load instead of signing wrong tickets.
        let good = der(K1024);
        let len = good.len();
        // A byte of d (after the version, n and e), and one of qInv (last).
        for at in [160, len - 5] {
            let mut bytes = good.clone();
            bytes[at] ^= 0x01;
            assert!(
                matches!(
                    SigningKey::from_der(&bytes, KeyFormat::Pkcs1),
                    Err(KeyError::Malformed { .. })
                ),
                "byte {at} of {len}"
            );
        }
    }

    #[test]
    fn small_keys_with_trailing_bytes_are_refused() {
        for (pem, format) in [(K1024, KeyFormat::Pkcs1), (K1024_8, KeyFormat::Pkcs8)] {
            let mut bytes = der(pem);
            assert!(SigningKey::from_der(&bytes, format).is_ok());
            bytes.push(0);
            assert!(
                matches!(
                    SigningKey::from_der(&bytes, format),
                    Err(KeyError::Malformed { .. })
                ),
                "{format:?}"
            );
        }
    }

    #[test]
    fn small_key_signs_the_same_bytes_from_many_threads() {
        // OpenSSL's blinding values and Montgomery contexts are shared
        // between threads; the signatures must not be.
        let key = std::sync::Arc::new(SigningKey::from_pem(K1024_8).expect("parses"));
        let want = key.sign_rs256(b"shared").expect("signs");
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let key = std::sync::Arc::clone(&key);
                std::thread::spawn(move || {
                    (0..200)
                        .map(|_| key.sign_rs256(b"shared").expect("signs"))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for t in threads {
            for sig in t.join().expect("thread") {
                assert_eq!(sig, want);
            }
        }
    }

    /// RUSTSEC-2023-0071: the `rsa` crate's private-key operation is not
    /// constant-time. No key may reach it: it is not in the build at all
    /// (deny.toml also bans it).
    #[test]
    fn the_rsa_crate_is_not_a_dependency() {
        let lock = include_str!("../../../../Cargo.lock");
        assert!(
            lock.contains("name = \"aws-lc-sys\""),
            "reads the real lockfile"
        );
        assert!(
            !lock.contains("name = \"rsa\""),
            "the `rsa` crate is back in Cargo.lock (RUSTSEC-2023-0071)"
        );
    }

    #[test]
    fn under_1024_bits_is_refused() {
        assert!(matches!(
            SigningKey::from_pem(K512),
            Err(KeyError::TooSmall { bits: 512 })
        ));
    }

    #[test]
    fn ec_key_is_refused_as_not_rsa() {
        assert!(matches!(SigningKey::from_pem(EC), Err(KeyError::NotRsa)));
    }

    #[test]
    fn garbage_and_other_pem_blocks_are_refused() {
        assert!(matches!(
            SigningKey::from_pem("not a key"),
            Err(KeyError::NotPem)
        ));
        let cert = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            SigningKey::from_pem(cert),
            Err(KeyError::UnsupportedPem { .. })
        ));
        let broken = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert!(matches!(
            SigningKey::from_pem(broken),
            Err(KeyError::Malformed { format: "PKCS#8" })
        ));
    }

    #[test]
    fn debug_is_redacted() {
        let key = SigningKey::from_pem(K2048_1).expect("parses");
        let shown = format!("{key:?}");
        assert_eq!(shown, "SigningKey(2048 bits, [redacted])");
    }

    #[test]
    fn generated_key_round_trips_through_pem() {
        let key = SigningKey::generate(2048).expect("generates");
        let pem = key.to_pkcs8_pem().expect("encodes");
        let again = SigningKey::from_pem(&pem).expect("parses");
        assert_eq!(key.public_key(), again.public_key());
        assert!(SigningKey::generate(1024).is_err());
    }
}
