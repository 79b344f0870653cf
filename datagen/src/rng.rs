//! Pseudo-random numbers: a private SplitMix64 generator, seeded from the run's
//! seed and a path of numbers (a stream per account, conversation, day, ...), so
//! the same options give the same data whatever is generated around it.

/// The SplitMix64 increment (2^64 / golden ratio).
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 finaliser.
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(GOLDEN);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A SplitMix64 stream; [`Rng::derive`] gives each part of the data its own.
pub(crate) struct Rng(u64);

impl Rng {
    /// An independent stream for (seed, parts...).
    pub(crate) fn derive(seed: u64, parts: &[u64]) -> Rng {
        let mut h = splitmix(seed ^ 0x436F_6E76_6572_7351);
        for &p in parts {
            h = splitmix(h ^ splitmix(p.wrapping_mul(0xD6E8_FEB8_6659_FD93)));
        }
        Rng(h)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform in [0, n).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
        }
    }

    /// Uniform in [lo, hi).
    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            lo
        } else {
            lo + ((u128::from(self.next_u64()) * (hi - lo) as u128) >> 64) as i64
        }
    }

    /// A duration in [lo, hi) microseconds, rounded to milliseconds.
    pub(crate) fn span(&mut self, lo: i64, hi: i64) -> i64 {
        self.between(lo, hi) / 1000 * 1000
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub(crate) fn pick_str(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len())]
    }

    pub(crate) fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}
