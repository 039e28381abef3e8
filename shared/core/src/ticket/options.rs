//! What a ticket is signed with: the SDK's options (`refresh`, `expire`), the
//! ceilings a deployment puts on what callers may ask for, and the one check
//! of both (one set of messages, for the CLI and the functions alike).

use crate::config::{ConfigError, number};
use crate::env::Setting;
use crate::ticket::MAX_SAFE_INTEGER;

/// Default `refresh`: the login state is refreshed hourly.
pub const DEFAULT_REFRESH_MS: u64 = 3_600_000;
/// Default login lifetime: `expire = now + 7 days`.
pub const DEFAULT_EXPIRE_AFTER_MS: u64 = 7 * 24 * 3_600_000;
/// Ceiling on `refresh` a caller may ask for.
pub const VAR_MAX_REFRESH_MS: &str = "CUSTOMAUTH_MAX_REFRESH_MS";
/// Ceiling on `expire - now` a caller may ask for.
pub const VAR_MAX_EXPIRE_MS: &str = "CUSTOMAUTH_MAX_EXPIRE_MS";

/// The ceilings on what a caller may ask for.
pub const LIMIT_SETTINGS: &[Setting] = &[
    Setting::with_default(VAR_MAX_REFRESH_MS, "ceiling on refresh", "one day"),
    Setting::with_default(VAR_MAX_EXPIRE_MS, "ceiling on expire - now", "30 days"),
];

/// Options of `createTicket`, as the SDK takes them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TicketOptions {
    /// How often the client refreshes its login state, in ms; positive.
    /// Defaults to [`DEFAULT_REFRESH_MS`] (one hour).
    pub refresh: Option<u64>,
    /// When the login state expires, in ms since the epoch; later than now.
    /// Defaults to now + [`DEFAULT_EXPIRE_AFTER_MS`] (seven days).
    pub expire: Option<u64>,
}

/// Why options cannot be used. Values are never clamped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidOptions {
    /// `refresh` is zero.
    #[error("refresh must be a positive integer of milliseconds")]
    RefreshNotPositive,
    /// `refresh` is above the ceiling.
    #[error("refresh must be at most {max} ms")]
    RefreshAboveLimit {
        /// The ceiling, [`Limits::max_refresh_ms`].
        max: u64,
    },
    /// `expire` is not later than now.
    #[error("expire must be later than now ({now}), in milliseconds since the epoch")]
    ExpireNotInFuture {
        /// The requested expiry.
        expire: u64,
        /// The clock.
        now: u64,
    },
    /// `expire` is further from now than the ceiling.
    #[error("expire must be at most {max} ms from now")]
    ExpireAboveLimit {
        /// The ceiling, [`Limits::max_expire_ms`].
        max: u64,
    },
    /// A value over 2^53 - 1, which the JavaScript client cannot read exactly.
    #[error("{field} must be at most {MAX_SAFE_INTEGER}")]
    TooLarge {
        /// `refresh`, `expire` or `now`.
        field: &'static str,
    },
}

/// What a caller may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest `refresh`, in ms. Defaults to one day (86400000).
    pub max_refresh_ms: u64,
    /// Largest `expire - now`, in ms. Defaults to 30 days (2592000000).
    pub max_expire_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_refresh_ms: 86_400_000,
            max_expire_ms: 30 * 86_400_000,
        }
    }
}

impl Limits {
    /// No ceiling but JavaScript's 2^53 - 1: what the SDK allows, and what the
    /// command line signs with.
    pub const UNLIMITED: Self = Self {
        max_refresh_ms: MAX_SAFE_INTEGER,
        max_expire_ms: MAX_SAFE_INTEGER,
    };

    /// Reads `CUSTOMAUTH_MAX_REFRESH_MS` and `CUSTOMAUTH_MAX_EXPIRE_MS`;
    /// unset, each is its [`Default`].
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the variable when it is not a positive
    /// integer of at most 2^53 - 1.
    pub fn from_env(env: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let read = |name, default| number(env, name, default, 1, MAX_SAFE_INTEGER);
        let d = Self::default();
        Ok(Self {
            max_refresh_ms: read(VAR_MAX_REFRESH_MS, d.max_refresh_ms)?,
            max_expire_ms: read(VAR_MAX_EXPIRE_MS, d.max_expire_ms)?,
        })
    }
}

impl TicketOptions {
    /// The `(refresh, expire)` to sign at `now_ms` within `limits`: the given
    /// values, checked (never clamped), or the SDK's defaults (one hour, seven
    /// days) lowered to the ceilings when those are lower.
    ///
    /// # Errors
    /// [`InvalidOptions`] when `refresh` is 0 or above its ceiling, `expire`
    /// is not after `now_ms` or too far from it, or a value (or `now_ms + 7
    /// days`) exceeds [`MAX_SAFE_INTEGER`].
    pub fn resolve(&self, now_ms: u64, limits: &Limits) -> Result<(u64, u64), InvalidOptions> {
        if now_ms.saturating_add(DEFAULT_EXPIRE_AFTER_MS) > MAX_SAFE_INTEGER {
            return Err(InvalidOptions::TooLarge { field: "now" });
        }
        let refresh = match self.refresh {
            None => DEFAULT_REFRESH_MS.min(limits.max_refresh_ms),
            Some(0) => return Err(InvalidOptions::RefreshNotPositive),
            Some(r) if r > MAX_SAFE_INTEGER => {
                return Err(InvalidOptions::TooLarge { field: "refresh" });
            }
            Some(r) if r > limits.max_refresh_ms => {
                return Err(InvalidOptions::RefreshAboveLimit {
                    max: limits.max_refresh_ms,
                });
            }
            Some(r) => r,
        };
        let expire = match self.expire {
            None => now_ms + DEFAULT_EXPIRE_AFTER_MS.min(limits.max_expire_ms),
            Some(e) if e > MAX_SAFE_INTEGER => {
                return Err(InvalidOptions::TooLarge { field: "expire" });
            }
            Some(e) if e <= now_ms => {
                return Err(InvalidOptions::ExpireNotInFuture {
                    expire: e,
                    now: now_ms,
                });
            }
            Some(e) if e - now_ms > limits.max_expire_ms => {
                return Err(InvalidOptions::ExpireAboveLimit {
                    max: limits.max_expire_ms,
                });
            }
            Some(e) => e,
        };
        Ok((refresh, expire))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(refresh: Option<u64>, expire: Option<u64>) -> TicketOptions {
        TicketOptions { refresh, expire }
    }

    #[test]
    fn zero_refresh_fails() {
        let o = options(Some(0), None);
        assert_eq!(
            o.resolve(10, &Limits::UNLIMITED),
            Err(InvalidOptions::RefreshNotPositive)
        );
    }

    #[test]
    fn expire_not_after_now_fails() {
        for expire in [0, 9, 10] {
            assert!(matches!(
                options(None, Some(expire)).resolve(10, &Limits::UNLIMITED),
                Err(InvalidOptions::ExpireNotInFuture { .. })
            ));
        }
        assert_eq!(
            options(None, Some(11)).resolve(10, &Limits::UNLIMITED),
            Ok((DEFAULT_REFRESH_MS, 11))
        );
    }

    #[test]
    fn values_beyond_javascript_precision_fail() {
        let unlimited = &Limits::UNLIMITED;
        assert_eq!(
            options(Some(MAX_SAFE_INTEGER + 1), None).resolve(1, unlimited),
            Err(InvalidOptions::TooLarge { field: "refresh" })
        );
        assert_eq!(
            options(None, Some(u64::MAX)).resolve(1, unlimited),
            Err(InvalidOptions::TooLarge { field: "expire" })
        );
        assert_eq!(
            TicketOptions::default().resolve(u64::MAX, unlimited),
            Err(InvalidOptions::TooLarge { field: "now" })
        );
    }

    #[test]
    fn limits_default_to_one_day_and_thirty_days() {
        let l = Limits::from_env(&|_| None).expect("defaults");
        assert_eq!(l, Limits::default());
        assert_eq!(l.max_refresh_ms, 86_400_000);
        assert_eq!(l.max_expire_ms, 2_592_000_000);
    }

    #[test]
    fn limits_refuse_garbage_naming_the_variable() {
        for v in ["0", "-5", "abc", "1.5", "9007199254740992"] {
            let env = move |k: &str| (k == VAR_MAX_EXPIRE_MS).then(|| v.to_owned());
            let e = Limits::from_env(&env).unwrap_err().to_string();
            assert!(e.contains(VAR_MAX_EXPIRE_MS), "{v}: {e}");
        }
    }

    #[test]
    fn options_above_ceilings_are_refused_not_clamped() {
        let l = Limits {
            max_refresh_ms: 1000,
            max_expire_ms: 5000,
        };
        assert_eq!(
            options(Some(1001), None).resolve(10, &l),
            Err(InvalidOptions::RefreshAboveLimit { max: 1000 })
        );
        assert_eq!(
            options(None, Some(10 + 5001)).resolve(10, &l),
            Err(InvalidOptions::ExpireAboveLimit { max: 5000 })
        );
        assert!(options(None, Some(10)).resolve(10, &l).is_err());
        assert!(options(Some(0), None).resolve(10, &l).is_err());
        assert_eq!(
            options(Some(1000), Some(5010)).resolve(10, &l),
            Ok((1000, 5010))
        );
    }

    #[test]
    fn defaults_are_the_sdks_unless_ceilings_are_lower() {
        assert_eq!(
            TicketOptions::default().resolve(10, &Limits::default()),
            Ok((3_600_000, 10 + 604_800_000))
        );
        let low = Limits {
            max_refresh_ms: 60_000,
            max_expire_ms: 86_400_000,
        };
        assert_eq!(
            TicketOptions::default().resolve(10, &low),
            Ok((60_000, 10 + 86_400_000))
        );
    }

    #[test]
    fn messages_name_the_field_and_the_ceiling() {
        let l = Limits {
            max_refresh_ms: 1000,
            max_expire_ms: 5000,
        };
        let text = |o: TicketOptions| o.resolve(10, &l).unwrap_err().to_string();
        assert_eq!(
            text(options(Some(0), None)),
            "refresh must be a positive integer of milliseconds"
        );
        assert_eq!(
            text(options(Some(2000), None)),
            "refresh must be at most 1000 ms"
        );
        assert_eq!(
            text(options(None, Some(5))),
            "expire must be later than now (10), in milliseconds since the epoch"
        );
        assert_eq!(
            text(options(None, Some(9000))),
            "expire must be at most 5000 ms from now"
        );
    }
}
