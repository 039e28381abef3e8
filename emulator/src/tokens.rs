//! The emulator's access tokens: RS256 JWTs signed with its own key, made at
//! first start (and kept in the data directory), published as a JWKS.

use std::fmt;
use std::path::Path;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{self, KeyPair as _, ParsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// The protected header of every access token (the key id is added).
const ALG: &str = "RS256";
/// Longest access token looked at.
const MAX_TOKEN_LEN: usize = 4096;

/// What an access token says. Times in seconds, as in any JWT.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    /// The emulator's base URL.
    pub iss: String,
    /// The uid.
    pub sub: String,
    /// The environment id (the v2 SDK's `client_id`).
    pub aud: String,
    /// Issued at, seconds.
    pub iat: u64,
    /// Expires at, seconds.
    pub exp: u64,
    /// The session (login state) the token belongs to.
    pub sid: String,
    /// `user` or `anonymous`, as the v2 credentials' `scope`.
    pub scope: String,
    /// The environment id again, under the name CloudBase tokens use.
    pub project_id: String,
    /// The customUserId, when the user has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_user_id: Option<String>,
}

/// Why an access token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a JWT of ours: malformed, wrong header, bad signature or claims.
    #[error("access token is invalid: {0}")]
    Invalid(&'static str),
}

/// Why the key could not be loaded or made.
#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    /// Reading or writing the key file failed.
    #[error("access-token key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The key file does not hold an RSA PKCS#8 key.
    #[error("access-token key file {0} is not an RSA PKCS#8 key (delete it to make a new one)")]
    Rejected(String),
    /// Key generation failed.
    #[error("cannot generate the access-token key")]
    Generate,
}

/// The signing key of access tokens.
pub struct TokenKey {
    key: KeyPair,
    public: ParsedPublicKey,
    kid: String,
    header_b64: String,
    jwks: serde_json::Value,
    rng: SystemRandom,
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenKey")
            .field("kid", &self.kid)
            .field("key", &"[redacted]")
            .finish()
    }
}

/// The key file's name inside the data directory.
pub const KEY_FILE: &str = "access-token-key.pk8.der";

impl TokenKey {
    /// A fresh 2048-bit key (for `--in-memory`).
    ///
    /// # Errors
    /// [`KeyStoreError::Generate`] if the RNG fails.
    pub fn generate() -> Result<Self, KeyStoreError> {
        let key = KeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyStoreError::Generate)?;
        Self::from_key(key)
    }

    /// The key kept in `dir`, made (mode 0600) on first use.
    ///
    /// # Errors
    /// [`KeyStoreError`] when the file cannot be read, written or parsed.
    pub fn load_or_create(dir: &Path) -> Result<Self, KeyStoreError> {
        let path = dir.join(KEY_FILE);
        let io = |source| KeyStoreError::Io {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read(&path) {
            Ok(der) => {
                let key = KeyPair::from_pkcs8(&der)
                    .map_err(|_| KeyStoreError::Rejected(path.display().to_string()))?;
                Self::from_key(key)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key =
                    KeyPair::generate(KeySize::Rsa2048).map_err(|_| KeyStoreError::Generate)?;
                let der = key.as_der().map_err(|_| KeyStoreError::Generate)?;
                write_private(&path, der.as_ref()).map_err(io)?;
                Self::from_key(key)
            }
            Err(e) => Err(io(e)),
        }
    }

    fn from_key(key: KeyPair) -> Result<Self, KeyStoreError> {
        let public_key = key.public_key();
        let public = ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, public_key)
            .map_err(|_| KeyStoreError::Generate)?;
        let spki = public_key.as_der().map_err(|_| KeyStoreError::Generate)?;
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, spki.as_ref());
        let kid = crate::ids::hex(&digest.as_ref()[..8]);
        let header = serde_json::json!({"alg": ALG, "typ": "JWT", "kid": kid}).to_string();
        let header_b64 = URL_SAFE_NO_PAD.encode(header);
        let jwks = serde_json::json!({
            "keys": [{
                "kty": "RSA",
                "use": "sig",
                "alg": ALG,
                "kid": kid,
                "n": URL_SAFE_NO_PAD.encode(public_key.modulus().big_endian_without_leading_zero()),
                "e": URL_SAFE_NO_PAD.encode(public_key.exponent().big_endian_without_leading_zero()),
            }]
        });
        Ok(Self {
            key,
            public,
            kid,
            header_b64,
            jwks,
            rng: SystemRandom::new(),
        })
    }

    /// The JWKS document publishing the public key.
    pub fn jwks(&self) -> &serde_json::Value {
        &self.jwks
    }

    /// The key id (`kid`).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Signs `claims` into a compact JWT.
    pub fn issue(&self, claims: &AccessClaims) -> String {
        let payload = serde_json::to_vec(claims).unwrap_or_default();
        let mut token = String::with_capacity(self.header_b64.len() + payload.len() * 2 + 350);
        token.push_str(&self.header_b64);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&payload, &mut token);
        let mut sig = vec![0; self.key.public_modulus_len()];
        // Signing with a valid key and a working RNG does not fail.
        if self
            .key
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &self.rng,
                token.as_bytes(),
                &mut sig,
            )
            .is_err()
        {
            tracing::error!("access-token signing failed");
        }
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&sig, &mut token);
        token
    }

    /// Checks the signature and header of `token` and returns its claims.
    /// Expiry is the caller's to check (a revoke accepts an expired token).
    ///
    /// # Errors
    /// [`TokenError::Invalid`] naming what is wrong.
    pub fn decode(&self, token: &str) -> Result<AccessClaims, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Invalid("too long"));
        }
        let (signed, sig_b64) = token
            .rsplit_once('.')
            .ok_or(TokenError::Invalid("not a JWT"))?;
        let (header_b64, payload_b64) = signed
            .split_once('.')
            .ok_or(TokenError::Invalid("not a JWT"))?;
        if header_b64 != self.header_b64 {
            return Err(TokenError::Invalid(
                "not signed by this emulator's current key",
            ));
        }
        let sig = URL_SAFE_NO_PAD
            .decode(sig_b64)
            .map_err(|_| TokenError::Invalid("signature is not base64url"))?;
        self.public
            .verify_sig(signed.as_bytes(), &sig)
            .map_err(|_| TokenError::Invalid("bad signature"))?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload_b64)
            .map_err(|_| TokenError::Invalid("payload is not base64url"))?;
        serde_json::from_slice(&payload).map_err(|_| TokenError::Invalid("claims"))
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> AccessClaims {
        AccessClaims {
            iss: "http://127.0.0.1:9100".into(),
            sub: "uid1".into(),
            aud: "env-1".into(),
            iat: 1,
            exp: 2,
            sid: "s".into(),
            scope: "user".into(),
            project_id: "env-1".into(),
            custom_user_id: Some("user_1234".into()),
        }
    }

    #[test]
    fn issued_token_decodes() {
        let key = TokenKey::generate().expect("key");
        let token = key.issue(&claims());
        assert_eq!(key.decode(&token), Ok(claims()));
    }

    #[test]
    fn tampered_token_fails() {
        let key = TokenKey::generate().expect("key");
        let token = key.issue(&claims());
        let (head, rest) = token.split_once('.').expect("dot");
        let (_, sig) = rest.split_once('.').expect("dot");
        let mut other = claims();
        other.sub = "uid2".into();
        let forged = format!(
            "{head}.{}.{sig}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&other).expect("json"))
        );
        assert_eq!(
            key.decode(&forged),
            Err(TokenError::Invalid("bad signature"))
        );
    }

    #[test]
    fn other_keys_token_fails() {
        let a = TokenKey::generate().expect("key");
        let b = TokenKey::generate().expect("key");
        assert!(b.decode(&a.issue(&claims())).is_err());
    }

    #[test]
    fn key_file_is_reused() {
        let dir = std::env::temp_dir().join(format!("emu-key-{}", crate::ids::random_hex(6)));
        std::fs::create_dir_all(&dir).expect("dir");
        let a = TokenKey::load_or_create(&dir).expect("made");
        let b = TokenKey::load_or_create(&dir).expect("loaded");
        assert_eq!(a.kid(), b.kid());
        assert_eq!(b.decode(&a.issue(&claims())), Ok(claims()));
        std::fs::remove_dir_all(&dir).ok();
    }
}
