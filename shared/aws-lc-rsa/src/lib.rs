//! RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signing with the RSA private keys
//! that aws-lc-rs refuses, through aws-lc's C API.
//!
//! aws-lc-rs accepts RSA private keys of 2048 bits and more only; the
//! CloudBase console has issued 1024-bit keys, and the official SDK signs
//! with them. aws-lc itself (the copy aws-lc-rs links, through `aws-lc-sys`)
//! signs such keys with the same code as larger ones: the private-key
//! operation is blinded with a fresh random factor and uses constant-time
//! modular exponentiation with the CRT. (The `rsa` crate, which signed these
//! keys before, is not constant-time: RUSTSEC-2023-0071.)
//!
//! This file is the workspace's only `unsafe` code. Each `unsafe` block is one
//! call into aws-lc (or one `assume_init` right after aws-lc initialised the
//! value), with a SAFETY comment. The rules it keeps:
//! - every pointer handed to aws-lc is non-null and valid for the length
//!   passed with it, for the duration of the call; aws-lc keeps no pointer
//!   into Rust memory;
//! - every pointer aws-lc returns is checked for null before use, and every
//!   object it returns is owned by exactly one Rust value that frees it once,
//!   on drop (`RSA_free`, `EVP_PKEY_free`, `OPENSSL_free`, `CBB_cleanup`);
//! - aws-lc's allocator wipes every block it frees (`OPENSSL_free` calls
//!   `OPENSSL_cleanse`), so the key's numbers are zeroed when the key is
//!   dropped; encodings of the private key are copied into a
//!   [`Zeroizing`] buffer before aws-lc's copy is freed.
#![allow(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]

use std::ffi::c_uint;
use std::fmt;
use std::mem::MaybeUninit;
use std::ptr::{self, NonNull};

use aws_lc_sys as ffi;
use zeroize::Zeroizing;

/// Why a key was not parsed or encoded. Carries no key material.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The DER is not a private key of the expected format.
    #[error("not a valid RSA private key")]
    Malformed,
    /// A valid PKCS#8 private key of another algorithm (EC, Ed25519...).
    #[error("not an RSA key")]
    NotRsa,
    /// aws-lc failed (allocation, or an internal error); never expected.
    #[error("aws-lc failed")]
    Internal,
}

/// An RSA private key held by aws-lc.
///
/// `Debug` shows the size only. Dropping it frees the key with `RSA_free`,
/// which wipes the key's numbers.
pub struct RsaKey {
    rsa: NonNull<ffi::RSA>,
}

// SAFETY: the `RSA` is owned by this value alone (no other reference escapes)
// and aws-lc's RSA functions may be called on one key from several threads at
// once: `RSA_sign` builds its Montgomery contexts and takes blinding values
// under the key's own lock. aws-lc-rs relies on the same for its `KeyPair`,
// which is `Send + Sync`.
unsafe impl Send for RsaKey {}
// SAFETY: as for `Send`.
unsafe impl Sync for RsaKey {}

impl Drop for RsaKey {
    fn drop(&mut self) {
        // SAFETY: `self.rsa` is a live key this value owns one reference to;
        // it is released exactly once, here.
        unsafe { ffi::RSA_free(self.rsa.as_ptr()) }
    }
}

impl fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RsaKey({} bits, [redacted])", self.bits())
    }
}

impl RsaKey {
    /// Parses a PKCS#1 `RSAPrivateKey` DER. aws-lc checks the key's
    /// consistency (`RSA_check_key`) and refuses trailing data.
    ///
    /// # Errors
    /// [`Error::Malformed`] when `der` is not such a key.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, Error> {
        // SAFETY: `der` is valid for `der.len()` bytes during the call;
        // aws-lc copies what it keeps and returns a new key or null.
        let rsa = unsafe { ffi::RSA_private_key_from_bytes(der.as_ptr(), der.len()) };
        Self::own(rsa).ok_or(Error::Malformed)
    }

    /// Parses a PKCS#8 `PrivateKeyInfo` DER holding an RSA key.
    ///
    /// # Errors
    /// [`Error::NotRsa`] for a PKCS#8 key of another algorithm that aws-lc
    /// knows, [`Error::Malformed`] for anything else that is not an RSA key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, Error> {
        // A CBS is a (pointer, length) view; aws-lc only reads through it.
        let mut cbs = ffi::CBS {
            data: der.as_ptr(),
            len: der.len(),
        };
        // SAFETY: `cbs` views `der`, which outlives the call; aws-lc advances
        // the view past what it parsed and returns a new key or null.
        let pkey = unsafe { ffi::EVP_parse_private_key(&mut cbs) };
        let pkey = Pkey::own(pkey).ok_or(Error::Malformed)?;
        if cbs.len != 0 {
            return Err(Error::Malformed); // trailing data
        }
        // SAFETY: `pkey` is live.
        let id = unsafe { ffi::EVP_PKEY_id(pkey.0.as_ptr()) };
        if id != ffi::EVP_PKEY_RSA {
            return Err(Error::NotRsa);
        }
        // SAFETY: `pkey` is live and holds an RSA key; `get1` returns a new
        // reference to it (or null), which `own` takes over.
        let rsa = unsafe { ffi::EVP_PKEY_get1_RSA(pkey.0.as_ptr()) };
        Self::own(rsa).ok_or(Error::Internal)
    }

    fn own(rsa: *mut ffi::RSA) -> Option<Self> {
        let key = NonNull::new(rsa).map(|rsa| Self { rsa });
        if key.is_none() {
            clear_errors();
        }
        key
    }

    /// The modulus size in bits.
    pub fn bits(&self) -> usize {
        // SAFETY: `self.rsa` is live.
        let bits = unsafe { ffi::RSA_bits(self.rsa.as_ptr()) };
        usize::try_from(bits).unwrap_or(usize::MAX)
    }

    /// The signature size in bytes (the modulus size, rounded up).
    pub fn signature_len(&self) -> usize {
        // SAFETY: `self.rsa` is live.
        let len = unsafe { ffi::RSA_size(self.rsa.as_ptr()) };
        usize::try_from(len).unwrap_or(usize::MAX)
    }

    /// RS256 signature of `message`: RSASSA-PKCS1-v1_5 over SHA-256, exactly
    /// [`RsaKey::signature_len`] bytes. Deterministic (the blinding changes
    /// how it is computed, not the result).
    ///
    /// # Errors
    /// [`Error::Internal`] if aws-lc fails.
    pub fn sign_rs256(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, message);
        let digest = digest.as_ref();
        let mut sig = vec![0_u8; self.signature_len()];
        let mut written: c_uint = 0;
        // SAFETY: `digest` is valid for `digest.len()` bytes; `sig` is
        // writable for `RSA_size` bytes, the most `RSA_sign` writes; `written`
        // is a valid out-pointer; the key is live (aws-lc takes it as `*mut`
        // for its lock-protected caches only).
        let ok = unsafe {
            ffi::RSA_sign(
                ffi::NID_sha256,
                digest.as_ptr(),
                digest.len(),
                sig.as_mut_ptr(),
                &mut written,
                self.rsa.as_ptr(),
            )
        };
        if ok != 1 || usize::try_from(written).ok() != Some(sig.len()) {
            clear_errors();
            return Err(Error::Internal);
        }
        Ok(sig)
    }

    /// The public half as a PKCS#1 `RSAPublicKey` DER.
    ///
    /// # Errors
    /// [`Error::Internal`] if aws-lc fails.
    pub fn public_key_der(&self) -> Result<Vec<u8>, Error> {
        let mut out: *mut u8 = ptr::null_mut();
        let mut len = 0_usize;
        // SAFETY: `out` and `len` are valid out-pointers; the key is live. On
        // success aws-lc stores a new buffer of `len` bytes in `out`.
        let ok = unsafe { ffi::RSA_public_key_to_bytes(&mut out, &mut len, self.rsa.as_ptr()) };
        let buf = AwsLcBytes::own(ok, out, len).ok_or(Error::Internal)?;
        Ok(buf.as_slice().to_vec())
    }

    /// The key as a PKCS#8 `PrivateKeyInfo` DER, in a buffer wiped on drop.
    ///
    /// # Errors
    /// [`Error::Internal`] if aws-lc fails.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        // SAFETY: no arguments; returns a new, empty key or null.
        let pkey = Pkey::own(unsafe { ffi::EVP_PKEY_new() }).ok_or(Error::Internal)?;
        // SAFETY: both are live; `set1` takes a reference of its own to the
        // RSA key, released when `pkey` is freed.
        if unsafe { ffi::EVP_PKEY_set1_RSA(pkey.0.as_ptr(), self.rsa.as_ptr()) } != 1 {
            clear_errors();
            return Err(Error::Internal);
        }
        let mut cbb = Cbb::new().ok_or(Error::Internal)?;
        // SAFETY: `cbb` is an initialised, growable CBB and `pkey` is live.
        if unsafe { ffi::EVP_marshal_private_key(&mut cbb.0, pkey.0.as_ptr()) } != 1 {
            clear_errors();
            return Err(Error::Internal);
        }
        let mut out: *mut u8 = ptr::null_mut();
        let mut len = 0_usize;
        // SAFETY: `cbb` is a growable top-level CBB; on success aws-lc hands
        // its buffer (`len` bytes) to `out` and leaves `cbb` empty, so the
        // `Cbb` guard's cleanup frees nothing twice.
        let ok = unsafe { ffi::CBB_finish(&mut cbb.0, &mut out, &mut len) };
        let buf = AwsLcBytes::own(ok, out, len).ok_or(Error::Internal)?;
        Ok(Zeroizing::new(buf.as_slice().to_vec()))
    }
}

/// Drops aws-lc's queued error codes after a failure (they name no secret,
/// but would otherwise pile up in the thread's queue).
fn clear_errors() {
    // SAFETY: no arguments; clears this thread's error queue.
    unsafe { ffi::ERR_clear_error() }
}

/// An owned `EVP_PKEY`, freed on drop.
struct Pkey(NonNull<ffi::EVP_PKEY>);

impl Pkey {
    fn own(pkey: *mut ffi::EVP_PKEY) -> Option<Self> {
        let pkey = NonNull::new(pkey).map(Self);
        if pkey.is_none() {
            clear_errors();
        }
        pkey
    }
}

impl Drop for Pkey {
    fn drop(&mut self) {
        // SAFETY: owned, live, freed exactly once here (with the reference
        // it holds to its RSA key, if any).
        unsafe { ffi::EVP_PKEY_free(self.0.as_ptr()) }
    }
}

/// A growable CBB (aws-lc's byte builder), cleaned up on drop.
struct Cbb(ffi::CBB);

impl Cbb {
    fn new() -> Option<Self> {
        let mut cbb = MaybeUninit::<ffi::CBB>::uninit();
        // SAFETY: `cbb` is writable; `CBB_init` zeroes the whole struct
        // before anything else, so it is initialised whatever it returns.
        let ok = unsafe { ffi::CBB_init(cbb.as_mut_ptr(), 0) };
        // SAFETY: initialised by `CBB_init` just above (see there).
        let cbb = Self(unsafe { cbb.assume_init() });
        (ok == 1).then_some(cbb)
    }
}

impl Drop for Cbb {
    fn drop(&mut self) {
        // SAFETY: a top-level CBB set up by `CBB_init`: frees its buffer (if
        // `CBB_finish` has not taken it) and nothing else.
        unsafe { ffi::CBB_cleanup(&mut self.0) }
    }
}

/// A buffer aws-lc allocated and handed over, freed (and wiped) on drop.
struct AwsLcBytes {
    ptr: NonNull<u8>,
    len: usize,
}

impl AwsLcBytes {
    /// Takes over `ptr` (`len` bytes) after an aws-lc call that returned `ok`.
    fn own(ok: std::ffi::c_int, ptr: *mut u8, len: usize) -> Option<Self> {
        let buf = NonNull::new(ptr).map(|ptr| Self { ptr, len });
        if ok != 1 || len == 0 || len > isize::MAX as usize {
            clear_errors();
            return None; // `buf`, if any, is freed by its drop
        }
        buf
    }

    fn as_slice(&self) -> &[u8] {
        // SAFETY: aws-lc allocated `len` bytes at `ptr`, initialised them,
        // and handed them over; they live until `self` is dropped.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for AwsLcBytes {
    fn drop(&mut self) {
        // SAFETY: allocated by aws-lc's `OPENSSL_malloc` and owned here;
        // `OPENSSL_free` wipes and frees it, exactly once.
        unsafe { ffi::OPENSSL_free(self.ptr.as_ptr().cast()) }
    }
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::signature::{RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, UnparsedPublicKey};

    use super::*;

    const K1024_PKCS1: &str = include_str!("../../../tests/fixtures/keys/k1024-pkcs1.pem");
    const K1024_PKCS8: &str = include_str!("../../../tests/fixtures/keys/k1024-pkcs8.pem");
    const EC_PKCS8: &str = include_str!("../../../tests/fixtures/keys/ec-p256-pkcs8.pem");

    fn der(pem: &str) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(
            pem_rfc7468::decode_vec(pem.trim().as_bytes())
                .expect("pem")
                .1,
        )
    }

    #[test]
    fn signs_rs256_that_verifies_with_the_public_half() {
        for key in [
            RsaKey::from_pkcs1_der(&der(K1024_PKCS1)).expect("parses"),
            RsaKey::from_pkcs8_der(&der(K1024_PKCS8)).expect("parses"),
        ] {
            assert_eq!(key.bits(), 1024);
            assert_eq!(key.signature_len(), 128);
            let sig = key.sign_rs256(b"message").expect("signs");
            assert_eq!(sig.len(), 128);
            assert_eq!(key.sign_rs256(b"message").ok(), Some(sig.clone()));
            let public = key.public_key_der().expect("public half");
            let verifier =
                UnparsedPublicKey::new(&RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, &public);
            assert!(verifier.verify(b"message", &sig).is_ok());
            assert!(verifier.verify(b"messagE", &sig).is_err());
        }
    }

    #[test]
    fn pkcs8_encoding_round_trips_byte_for_byte() {
        let original = der(K1024_PKCS8);
        let key = RsaKey::from_pkcs8_der(&original).expect("parses");
        assert_eq!(*key.to_pkcs8_der().expect("encodes"), *original);
    }

    #[test]
    fn wrong_formats_and_algorithms_are_refused() {
        assert_eq!(
            RsaKey::from_pkcs8_der(&der(K1024_PKCS1)).err(),
            Some(Error::Malformed)
        );
        assert_eq!(
            RsaKey::from_pkcs1_der(&der(K1024_PKCS8)).err(),
            Some(Error::Malformed)
        );
        assert_eq!(
            RsaKey::from_pkcs8_der(&der(EC_PKCS8)).err(),
            Some(Error::NotRsa)
        );
        let mut trailing = der(K1024_PKCS8).to_vec();
        trailing.push(0);
        assert_eq!(
            RsaKey::from_pkcs8_der(&trailing).err(),
            Some(Error::Malformed)
        );
    }

    #[test]
    fn debug_shows_the_size_only() {
        let key = RsaKey::from_pkcs1_der(&der(K1024_PKCS1)).expect("parses");
        assert_eq!(format!("{key:?}"), "RsaKey(1024 bits, [redacted])");
    }

    #[test]
    fn garbage_is_refused_without_panicking() {
        for der in [&b""[..], b"\x30", b"\x30\x00", &[0xff; 300]] {
            assert_eq!(RsaKey::from_pkcs1_der(der).err(), Some(Error::Malformed));
            assert_eq!(RsaKey::from_pkcs8_der(der).err(), Some(Error::Malformed));
        }
    }
}
