//! Verified identities by token digest: bounded, least recently used first
//! out, each entry ending at its own instant.

use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_lc_rs::digest;
use lru::LruCache;

use super::super::caller::{AuthError, Caller};

/// The SHA-256 of the credential form and the token: the token itself is
/// never kept.
pub(super) type Key = [u8; 32];

/// The cache key of `token` presented in `form`.
pub(super) fn key(form: u8, token: &str) -> Key {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(&[form]);
    ctx.update(token.as_bytes());
    let mut key = [0; 32];
    key.copy_from_slice(ctx.finish().as_ref());
    key
}

/// At most `capacity` identities; none at all when the lifetime is zero.
pub(super) struct Cache {
    entries: Option<Mutex<LruCache<Key, (Caller, Instant)>>>,
    ttl: Duration,
}

impl Cache {
    pub(super) fn new(capacity: usize, ttl: Duration) -> Self {
        let entries = NonZeroUsize::new(capacity)
            .filter(|_| !ttl.is_zero())
            .map(|n| Mutex::new(LruCache::new(n)));
        Self { entries, ttl }
    }

    /// The identity under `key` if its entry has not ended at `now`.
    pub(super) fn get(&self, key: &Key, now: Instant) -> Option<Caller> {
        let mut entries = self
            .entries
            .as_ref()?
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match entries.get(key) {
            Some((caller, until)) if *until > now => Some(caller.clone()),
            Some(_) => {
                entries.pop(key);
                None
            }
            None => None,
        }
    }

    /// Keeps `caller` under `key` from `now` for the cache lifetime, or
    /// until `token_ends` when that is sooner.
    pub(super) fn put(&self, key: Key, caller: Caller, now: Instant, token_ends: Option<Instant>) {
        let Some(entries) = &self.entries else {
            return;
        };
        let until = token_ends.map_or(now + self.ttl, |end| end.min(now + self.ttl));
        if until <= now {
            return;
        }
        let mut entries = entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.put(key, (caller, until));
    }

    /// How many entries are held (ended ones included until touched).
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.entries
            .as_ref()
            .map_or(0, |e| e.lock().unwrap_or_else(|e| e.into_inner()).len())
    }
}

/// Tokens CloudBase refused, with the refusal, for a short while: bounded,
/// least recently used first out.
pub(super) struct Refusals {
    entries: Mutex<LruCache<Key, (AuthError, Instant)>>,
    ttl: Duration,
}

impl Refusals {
    pub(super) fn new(capacity: usize, ttl: Duration) -> Self {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        Self {
            entries: Mutex::new(LruCache::new(capacity)),
            ttl,
        }
    }

    /// The refusal under `key` if it has not ended at `now`.
    pub(super) fn get(&self, key: &Key, now: Instant) -> Option<AuthError> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(key) {
            Some((refused, until)) if *until > now => Some(refused.clone()),
            Some(_) => {
                entries.pop(key);
                None
            }
            None => None,
        }
    }

    /// Keeps `refused` under `key` from `now` for the lifetime.
    pub(super) fn put(&self, key: Key, refused: AuthError, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.put(key, (refused, now + self.ttl));
    }
}
