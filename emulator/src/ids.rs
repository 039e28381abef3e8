//! Random ids and lower-case hex: uids, session ids, refresh tokens, request
//! ids, key ids. The system RNG (aws-lc-rs).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// `n` random bytes.
fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    // The system RNG does not fail on a working OS.
    let _ = aws_lc_rs::rand::fill(&mut buf);
    buf
}

/// `n` random bytes as lower-case hex.
pub fn random_hex(n: usize) -> String {
    hex(&random_bytes(n))
}

/// `n` random bytes as base64url.
pub fn random_token(n: usize) -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lower_case_two_digits_a_byte() {
        assert_eq!(hex(&[0, 0x0f, 0xab, 0xff]), "000fabff");
    }

    #[test]
    fn random_ids_have_their_length_and_differ() {
        assert_eq!(random_hex(16).len(), 32);
        assert_eq!(random_token(32).len(), 43);
        assert_ne!(random_hex(16), random_hex(16));
    }
}
