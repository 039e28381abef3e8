//! The customUserId rule of the official SDK.
//!
//! `@cloudbase/node-sdk` accepts a customUserId when it matches
//! `^[a-zA-Z0-9_\-#@~=*(){}\[\]:.,<>+]{4,32}$` as a whole: 4 to 32 characters,
//! ASCII letters, digits and the symbols `_-#@~=*(){}[]:.,<>+`. The CloudBase
//! documentation lists the same symbols except `=` and `*`; the SDK accepts
//! those two, and so do we, so that every id the SDK signs for is one we sign
//! for too.

use std::fmt;
use std::str::FromStr;

/// Fewest characters a customUserId may have.
pub const MIN_LEN: usize = 4;
/// Most characters a customUserId may have.
pub const MAX_LEN: usize = 32;

/// Why a string is not a customUserId.
///
/// Messages never echo the input: they say how long it was or which character
/// is not allowed, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidUserId {
    /// Fewer than [`MIN_LEN`] or more than [`MAX_LEN`] characters.
    #[error("customUserId must be {MIN_LEN} to {MAX_LEN} characters long, got {len}")]
    Length {
        /// Length of the input in characters.
        len: usize,
    },
    /// A character outside the allowed set.
    #[error(
        "customUserId may only contain ASCII letters, digits and _-#@~=*(){{}}[]:.,<>+; \
         character {position} is {found}"
    )]
    Character {
        /// 1-based position of the first character not allowed.
        position: usize,
        /// The character, escaped (`'\n'`, `'\u{3000}'`), so that control
        /// characters cannot corrupt a log line.
        found: String,
    },
}

/// A customUserId that satisfies the SDK's rule.
///
/// The only ways to get one are [`FromStr`] and [`TryFrom`], so code that
/// takes a `&CustomUserId` never sees an invalid id.
///
/// ```
/// use customauth_core::CustomUserId;
/// let id: CustomUserId = "user_1234".parse().unwrap();
/// assert_eq!(id.as_str(), "user_1234");
/// assert!("abc".parse::<CustomUserId>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CustomUserId(String);

/// Whether `b` is allowed in a customUserId.
pub const fn is_allowed_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'_' | b'-'
                | b'#'
                | b'@'
                | b'~'
                | b'='
                | b'*'
                | b'('
                | b')'
                | b'{'
                | b'}'
                | b'['
                | b']'
                | b':'
                | b'.'
                | b','
                | b'<'
                | b'>'
                | b'+'
        )
}

impl CustomUserId {
    /// Checks `s` against the rule.
    ///
    /// # Errors
    /// [`InvalidUserId::Length`] when `s` has fewer than 4 or more than 32
    /// characters, otherwise [`InvalidUserId::Character`] for the first
    /// character outside the allowed set.
    pub fn parse(s: &str) -> Result<Self, InvalidUserId> {
        Self::check(s)?;
        Ok(Self(s.to_owned()))
    }

    fn check(s: &str) -> Result<(), InvalidUserId> {
        // Count characters, not bytes, so that "ａｂｃｄ" is reported as a bad
        // character rather than as too long. Stop counting once too long: a
        // megabyte of input costs no more than 33 characters.
        let len = s.chars().take(MAX_LEN + 1).count();
        if !(MIN_LEN..=MAX_LEN).contains(&len) {
            let len = if len > MAX_LEN {
                s.chars().count()
            } else {
                len
            };
            return Err(InvalidUserId::Length { len });
        }
        match s
            .chars()
            .enumerate()
            .find(|(_, c)| !u8::try_from(*c).is_ok_and(is_allowed_byte))
        {
            Some((i, c)) => Err(InvalidUserId::Character {
                position: i + 1,
                found: format!("{c:?}"),
            }),
            None => Ok(()),
        }
    }

    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl FromStr for CustomUserId {
    type Err = InvalidUserId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for CustomUserId {
    type Error = InvalidUserId;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::check(&s)?;
        Ok(Self(s))
    }
}

impl TryFrom<&str> for CustomUserId {
    type Error = InvalidUserId;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl AsRef<str> for CustomUserId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CustomUserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for CustomUserId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for CustomUserId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::try_from(s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(serde::Deserialize)]
    struct Vector {
        uid: String,
        valid: bool,
    }

    /// The SDK's own regular expression, as the reference model.
    fn sdk_rule(s: &str) -> bool {
        static RULE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(r"^[a-zA-Z0-9_\-#@~=*(){}\[\]:.,<>+]{4,32}$").expect("valid regex")
        });
        RULE.is_match(s)
    }

    #[test]
    fn every_sdk_vector_agrees() {
        let vectors: Vec<Vector> =
            serde_json::from_str(customauth_testkit::fixtures::CUSTOM_USER_IDS)
                .expect("fixture parses");
        assert!(vectors.len() >= 30);
        for v in vectors {
            assert_eq!(
                CustomUserId::parse(&v.uid).is_ok(),
                v.valid,
                "vector {:?}",
                v.uid
            );
        }
    }

    #[test]
    fn too_short_reports_length() {
        assert_eq!(
            CustomUserId::parse("abc"),
            Err(InvalidUserId::Length { len: 3 })
        );
    }

    #[test]
    fn too_long_reports_length_without_echoing_input() {
        let long = "x".repeat(10_000);
        let err = CustomUserId::parse(&long).unwrap_err();
        assert_eq!(err, InvalidUserId::Length { len: 10_000 });
        assert!(!err.to_string().contains("xxxx"));
    }

    #[test]
    fn bad_character_reports_position_escaped() {
        let err = CustomUserId::parse("abc\ndef").unwrap_err();
        assert_eq!(
            err,
            InvalidUserId::Character {
                position: 4,
                found: "'\\n'".into()
            }
        );
        assert!(!err.to_string().contains('\n'));
    }

    #[test]
    fn multibyte_characters_count_as_characters() {
        // 4 full-width letters: 12 bytes but 4 characters, refused for the
        // character, not the length.
        assert!(matches!(
            CustomUserId::parse("ａｂｃｄ"),
            Err(InvalidUserId::Character { position: 1, .. })
        ));
    }

    #[test]
    fn deserialize_applies_the_rule() {
        assert!(serde_json::from_str::<CustomUserId>("\"user_1\"").is_ok());
        assert!(serde_json::from_str::<CustomUserId>("\"us er\"").is_err());
    }

    fn candidate() -> impl Strategy<Value = String> {
        prop_oneof![
            // Mostly allowed characters, lengths around the bounds.
            "[a-zA-Z0-9_#@~=*(){}:.,<>+\\[\\]-]{0,40}",
            // Anything at all.
            any::<String>(),
            // Allowed characters with one arbitrary character spliced in.
            ("[a-z0-9]{2,20}", any::<char>(), "[a-z0-9]{1,20}")
                .prop_map(|(a, c, b)| format!("{a}{c}{b}")),
        ]
    }

    proptest! {
        #[test]
        fn accepted_exactly_when_rule_matches(s in candidate()) {
            prop_assert_eq!(CustomUserId::parse(&s).is_ok(), sdk_rule(&s));
        }
    }
}
