//! The random source of retry jitter: a small seeded generator (SplitMix64), so that a test
//! passes a seed and sees the same delays, and the phone seeds it from the OS.
//!
//! Owns only jitter; must never be used for keys, tokens or anything secret.

/// A seeded source of jitter values.
#[derive(Debug, Clone)]
pub struct Jitter {
    state: u64,
}

impl Jitter {
    /// A source that yields the same sequence for the same seed.
    pub fn from_seed(seed: u64) -> Jitter {
        Jitter { state: seed }
    }

    /// A source seeded from the operating system's random generator (falls back to the
    /// process's time-based hash seed if the OS has none).
    pub fn from_os() -> Jitter {
        use ring::rand::SecureRandom;
        let mut bytes = [0u8; 8];
        let seed = match ring::rand::SystemRandom::new().fill(&mut bytes) {
            Ok(()) => u64::from_le_bytes(bytes),
            Err(_) => {
                use std::hash::{BuildHasher, Hasher};
                let mut h = std::collections::hash_map::RandomState::new().build_hasher();
                h.write_u8(0);
                h.finish()
            }
        };
        Jitter::from_seed(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// The next jitter value in 0..=1000 (per mille), as
    /// [`crate::store::outbox::RetryPolicy::next_attempt_at`] takes it.
    pub fn next_permille(&mut self) -> u16 {
        u16::try_from(self.next_u64() % 1001).unwrap_or(1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_jitter_and_values_stay_in_range() {
        let mut a = Jitter::from_seed(7);
        let mut b = Jitter::from_seed(7);
        let xs: Vec<u16> = (0..200).map(|_| a.next_permille()).collect();
        let ys: Vec<u16> = (0..200).map(|_| b.next_permille()).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().all(|&x| x <= 1000));
        let distinct: std::collections::BTreeSet<u16> = xs.iter().copied().collect();
        assert!(
            distinct.len() > 100,
            "jitter should spread, got {distinct:?}"
        );
    }
}
