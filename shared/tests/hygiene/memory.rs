//! Part 2: key material is zeroed (observed through /proc/self/mem).

use super::*;

/// Types that own secrets keep them in `Zeroizing`: checked by the compiler.
#[test]
fn secret_holders_are_zeroizing_by_type() {
    fn inline(json: Zeroizing<String>) -> CredentialsSource {
        CredentialsSource::Inline(json)
    }
    let _ = inline;
    let key = SigningKey::from_pem(KEY_PKCS8).expect("parses");
    let pem: Zeroizing<String> = key.to_pkcs8_pem().expect("encodes");
    let creds = Credentials::from_json(&credentials_json(KEY_PKCS8), "t").expect("parses");
    let json: Zeroizing<String> = creds.to_json();
    assert!(!pem.is_empty() && !json.is_empty());
    fn zeroizing_output<F>(_: F)
    where
        F: std::future::Future<Output = Result<Zeroizing<String>, CredentialsError>>,
    {
    }
    zeroizing_output(customauth::aws::fetch_secret_string(
        "never-polled",
        &AwsFetchSettings::default(),
    ));
}

#[cfg(target_os = "linux")]
mod proc_self_mem {
    use std::fs::File;
    use std::io::Read as _;
    use std::os::unix::fs::FileExt as _;
    use std::path::Path;
    use std::sync::Mutex;

    use customauth::{Credentials, CredentialsSource, SigningKey};
    use zeroize::Zeroizing;

    /// The scans run one at a time.
    static SCAN: Mutex<()> = Mutex::new(());

    /// XOR mask: the needle is never held in the clear, so the scan cannot
    /// find its own copy.
    const MASK: u8 = 0x5A;

    // Canary "keys": random base64 that appears nowhere else. Credentials do
    // not parse the PEM, so these stand in for real keys where only the text
    // is at stake. Each check has its own.
    const CANARY_PARTS: &str = "-----BEGIN PRIVATE KEY-----\n\
        Hpsz0W9rXo5KfL8nqdlztE95rWbn1uU8SKF81YVQ2S2WeVtTgUTgtOd8iDboN81m\n\
        2emrc+lD53Ewc8UF2vSbBqZ3+sCzzM2eY5r9ctmlkprFoCf5CZ7Sy3pXW2xycBdl\n\
        -----END PRIVATE KEY-----\n";
    const CANARY_INLINE: &str = "-----BEGIN PRIVATE KEY-----\n\
        I/+w5rpg9LyfA0vbMPFcxAjdXCOxzhpe0l3fmK7gFMiubtMA58tFthvXdFXQQ7TT\n\
        7IccVto6OS87KrqvG9xRyUsygWyefD95w+JUOrJ1S2RBptfrO4k4baJExwlWSdA7\n\
        -----END PRIVATE KEY-----\n";
    const CANARY_FILE: &str = "-----BEGIN PRIVATE KEY-----\n\
        F3+wrWTEx9xqoHiNQHUdaa4lquMN4in9OcCJfJjKmnzIjclAYVNKOKXZkpIU5uLj\n\
        FOSrt+dAIMtK37y9CHS0htEHo2b6OF86+94PYyz++9HxXEjXeLfhR8WlCna7UfUO\n\
        -----END PRIVATE KEY-----\n";
    const CANARY_SPLIT: &str = "-----BEGIN PRIVATE KEY-----\\n\
        uDrmWLKOPWZEu/5FXkyHVTaDF/fTgq6RbCxCxzVzv4ftjpsPSlx0YWqI43nvrIlk\\n\
        Titlc7fvHvynOW0b8nzAt6ap5brOdMd2W3GQo+nYO+mscmbfRnj5EofND9KxTXza\\n\
        -----END PRIVATE KEY-----\\n";
    /// A real key no other test of this binary loads.
    const REAL_KEY: &str = customauth_testkit::fixtures::keys::K4096_PKCS8;

    struct Needle(Vec<u8>);

    impl Needle {
        /// Line `n` (0-based) of `text`, masked.
        fn line(text: &str, n: usize) -> Self {
            let line = text
                .split(['\n'])
                .flat_map(|l| l.split("\\n"))
                .nth(n)
                .expect("line");
            assert!(line.len() >= 32, "needle too short");
            Self(line.bytes().map(|b| b ^ MASK).collect())
        }
    }

    /// Anonymous read-write mappings: heap, thread stacks, mmap'd arenas.
    fn anonymous_regions() -> Vec<(u64, u64)> {
        let mut maps = String::new();
        File::open("/proc/self/maps")
            .and_then(|mut f| f.read_to_string(&mut maps))
            .expect("read /proc/self/maps");
        maps.lines()
            .filter_map(|line| {
                let mut fields = line.split_whitespace();
                let range = fields.next()?;
                let perms = fields.next()?;
                let _offset = fields.next()?;
                let _dev = fields.next()?;
                let inode = fields.next()?;
                let path = fields.next().unwrap_or("");
                let anonymous = inode == "0"
                    && (path.is_empty()
                        || path == "[heap]"
                        || path == "[stack]"
                        || path.starts_with("[anon"));
                if !perms.starts_with("rw") || !anonymous {
                    return None;
                }
                let (start, end) = range.split_once('-')?;
                Some((
                    u64::from_str_radix(start, 16).ok()?,
                    u64::from_str_radix(end, 16).ok()?,
                ))
            })
            .collect()
    }

    /// How many copies of `needle` the process's anonymous memory holds.
    fn copies(needle: &Needle) -> usize {
        const CHUNK: usize = 1 << 20;
        let n = needle.0.len();
        let mem = File::open(Path::new("/proc/self/mem")).expect("open /proc/self/mem");
        let mut buf = Zeroizing::new(vec![0_u8; CHUNK + n]);
        // The buffer itself lies in a scanned region: reading it into itself
        // would smear copies around, so its range is left out.
        let own = buf.as_ptr() as u64;
        let own = (own, own + (CHUNK + n) as u64);
        let mut ranges = Vec::new();
        for (start, end) in anonymous_regions() {
            if start < own.1 && own.0 < end {
                ranges.push((start, own.0.max(start)));
                ranges.push((own.1.min(end), end));
            } else {
                ranges.push((start, end));
            }
        }
        let first = needle.0[0] ^ MASK;
        let mut found = 0;
        for (start, end) in ranges {
            let mut at = start;
            while at + n as u64 <= end {
                let want = usize::try_from((end - at).min((CHUNK + n) as u64)).expect("fits");
                buf.iter_mut().for_each(|b| *b = 0);
                let Ok(got) = mem.read_at(&mut buf[..want], at) else {
                    break; // unreadable (a guard page): skip the rest of the region
                };
                if got < n {
                    break;
                }
                let hay = &buf[..got];
                let mut i = 0;
                while i + n <= got {
                    let Some(p) = hay[i..=got - n].iter().position(|&b| b == first) else {
                        break;
                    };
                    let s = i + p;
                    if hay[s..s + n]
                        .iter()
                        .zip(&needle.0)
                        .all(|(&h, &m)| h ^ MASK == m)
                    {
                        found += 1;
                    }
                    i = s + 1;
                }
                at += (got - (n - 1)) as u64;
            }
        }
        found
    }

    /// Checks that `make` puts the canary in memory (the scan sees it) and
    /// that once `make`'s value is dropped, no copy is left.
    fn assert_wiped_after<T>(needle: &Needle, make: impl FnOnce() -> T) {
        let _serial = SCAN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        assert_eq!(
            copies(needle),
            0,
            "precondition: the canary is not in memory yet"
        );
        let value = make();
        let live = copies(needle);
        assert!(
            live >= 1,
            "the scan does not see the live key: the check would be blind"
        );
        drop(value);
        let left = copies(needle);
        assert_eq!(
            left, 0,
            "{left} copies of a key line are still in memory after every owner was dropped \
             (a buffer was freed without being wiped; {live} while alive)"
        );
    }

    #[test]
    fn credentials_and_their_clones_are_wiped_on_drop() {
        let needle = Needle::line(CANARY_PARTS, 1);
        assert_wiped_after(&needle, || {
            let creds = Credentials::from_parts("kid", CANARY_PARTS, "env", "test").expect("parts");
            let clone = creds.clone();
            drop(creds);
            clone
        });
    }

    #[test]
    fn inline_source_is_wiped_on_drop() {
        let needle = Needle::line(CANARY_INLINE, 1);
        assert_wiped_after(&needle, || {
            let mut json = Zeroizing::new(String::with_capacity(1024));
            json.push_str(r#"{"private_key_id":"k","env_id":"e","private_key":""#);
            for line in CANARY_INLINE.lines() {
                json.push_str(line);
                json.push_str("\\n");
            }
            json.push_str("\"}");
            let source = CredentialsSource::Inline(json);
            let clone = source.clone();
            drop(source);
            clone
        });
    }

    /// The console's JSON file, loaded: serde_json unescapes the `\n` of the
    /// key into a scratch buffer that it frees without wiping.
    #[test]
    fn credentials_file_leaves_no_copy_after_drop() {
        let needle = Needle::line(CANARY_FILE, 1);
        let dir = std::env::temp_dir().join(format!("customauth-hygiene-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let path = dir.join("c.json");
        {
            let mut json = Zeroizing::new(String::with_capacity(1024));
            json.push_str(r#"{"private_key_id":"k","env_id":"e","private_key":""#);
            for line in CANARY_FILE.lines() {
                json.push_str(line);
                json.push_str("\\n");
            }
            json.push_str("\"}");
            std::fs::write(&path, json.as_bytes()).expect("write");
        }
        assert_wiped_after(&needle, || Credentials::from_file(&path).expect("loads"));
        std::fs::remove_dir_all(&dir).ok();
    }

    /// The split form's literal `\n`: `normalize_pem` makes an intermediate
    /// `String` (`key.replace(..).replace(..)`) that is freed without wiping.
    #[test]
    fn split_form_with_literal_newlines_leaves_no_copy() {
        let needle = Needle::line(CANARY_SPLIT, 1);
        assert_wiped_after(&needle, || {
            Credentials::from_parts("kid", CANARY_SPLIT, "env", "test").expect("parts")
        });
    }

    /// The contents of the elements of a DER SEQUENCE.
    fn der_elements(der: &[u8]) -> Vec<&[u8]> {
        fn tlv(b: &[u8]) -> (&[u8], &[u8]) {
            let (len, head) = if b[1] < 0x80 {
                (usize::from(b[1]), 2)
            } else {
                let n = usize::from(b[1] & 0x7f);
                let len = b[2..2 + n]
                    .iter()
                    .fold(0, |l, x| (l << 8) | usize::from(*x));
                (len, 2 + n)
            };
            (&b[head..head + len], &b[head + len..])
        }
        let (mut body, _) = tlv(der);
        let mut out = Vec::new();
        while !body.is_empty() {
            let (value, rest) = tlv(body);
            out.push(value);
            body = rest;
        }
        out
    }

    /// A 1024-bit key, which signs with OpenSSL (customauth-core's
    /// `key/legacy.rs`): OpenSSL holds the private exponent as little-endian
    /// 64-bit limbs, so its low 32 bytes, reversed, are in memory while the
    /// key lives; `RSA_free` must wipe them on drop, and so must every copy
    /// made while parsing and checking the key (a PKCS#8 key here).
    #[test]
    fn small_rsa_key_is_wiped_on_drop() {
        // A key no other test of this binary loads.
        let pem = customauth_testkit::fixtures::keys::K1024_PKCS8;
        let der = Zeroizing::new(
            pem_rfc7468::decode_vec(pem.trim().as_bytes())
                .expect("pem")
                .1,
        );
        // PrivateKeyInfo { version, algorithm, OCTET STRING { RSAPrivateKey
        // { version, n, e, d, p, ... } } }
        let d = der_elements(der_elements(&der)[2])[3];
        let needle = Needle(d.iter().rev().take(32).map(|b| b ^ MASK).collect());
        assert_wiped_after(&needle, || {
            let key = SigningKey::from_pem(pem).expect("parses");
            assert!(key.is_legacy());
            key.sign_rs256(b"uses the key").expect("signs");
            key
        });
    }

    /// The same 1024-bit key as DER: OpenSSL parses it and, for the check
    /// against trailing bytes, encodes it again (`key/legacy.rs`), and
    /// `to_pkcs8_pem` encodes it once more. No DER copy of the private
    /// exponent may outlive those steps.
    #[test]
    fn small_rsa_key_leaves_no_der_copy() {
        let pem = customauth_testkit::fixtures::keys::K1024_PKCS8;
        let der_of = || {
            Zeroizing::new(
                pem_rfc7468::decode_vec(pem.trim().as_bytes())
                    .expect("pem")
                    .1,
            )
        };
        // The first 32 bytes of d as the DER holds them (big-endian).
        let needle = {
            let der = der_of();
            let d = der_elements(der_elements(&der)[2])[3];
            Needle(d.iter().take(32).map(|b| b ^ MASK).collect())
        };
        // The parsed key holds no DER, so the scan is first shown a live copy.
        assert_wiped_after(&needle, der_of);
        let _serial = SCAN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = SigningKey::from_pem(pem).expect("parses");
        assert!(key.is_legacy());
        key.sign_rs256(b"uses the key").expect("signs");
        drop(key.to_pkcs8_pem().expect("encodes"));
        drop(key);
        let left = copies(&needle);
        assert_eq!(
            left, 0,
            "{left} DER copies of the private exponent are in memory after the key was dropped"
        );
    }

    /// A real key through `SigningKey::from_pem`: the pem crate copies the
    /// base64 body into a `String` it frees without wiping.
    #[test]
    fn signing_key_from_pem_leaves_no_copy() {
        let needle = Needle::line(REAL_KEY, 3);
        // The parsed key holds no text, so the scan is first shown a live copy.
        assert_wiped_after(&needle, || Zeroizing::new(REAL_KEY.to_owned()));
        let _serial = SCAN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = SigningKey::from_pem(REAL_KEY).expect("parses");
        drop(key);
        let left = copies(&needle);
        assert_eq!(
            left, 0,
            "{left} copies of a key line are in memory after the key was dropped"
        );
    }
}
