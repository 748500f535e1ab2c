//! Meta-looking identifiers and every random choice, from one seeded generator.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The sandbox's random source. A counter inside every wamid keeps them unique even if
/// the random part repeats.
#[derive(Debug)]
pub struct IdGen {
    rng: StdRng,
    counter: u64,
}

impl IdGen {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        IdGen {
            rng: StdRng::seed_from_u64(seed),
            counter: 0,
        }
    }

    /// A numeric Graph id (phone-number, WABA, template, media): 15 or 16 digits.
    pub fn numeric_id(&mut self) -> String {
        let len = self.rng.gen_range(15..=16);
        let mut s = String::with_capacity(len);
        s.push(char::from(b'1' + self.rng.gen_range(0..9u8)));
        for _ in 1..len {
            s.push(char::from(b'0' + self.rng.gen_range(0..10u8)));
        }
        s
    }

    /// A `wamid.` for a message exchanged with `phone` (digits), shaped like Meta's
    /// (base64 of a small binary record holding the phone and a hex message key).
    pub fn wamid(&mut self, phone: &str) -> String {
        self.counter += 1;
        let key = format!(
            "{:08X}{:012X}",
            self.rng.r#gen::<u32>(),
            self.counter & 0xFFFF_FFFF_FFFF
        );
        let phone = &phone.as_bytes()[..phone.len().min(20)];
        let mut raw = Vec::with_capacity(48);
        raw.extend_from_slice(&[0x1c, 0x18, phone.len() as u8]);
        raw.extend_from_slice(phone);
        raw.extend_from_slice(&[0x15, 0x02, 0x00, 0x11, 0x18, key.len() as u8]);
        raw.extend_from_slice(key.as_bytes());
        raw.push(0x00);
        format!("wamid.{}", STANDARD.encode(raw))
    }

    /// A random access token, shaped like a system-user token.
    pub fn token(&mut self) -> String {
        format!("EAAG{}", self.alnum(60))
    }

    /// `n` random lower-case hex characters.
    pub fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b"0123456789abcdef"[self.rng.gen_range(0..16)]))
            .collect()
    }

    /// `n` random letters and digits.
    pub fn alnum(&mut self, n: usize) -> String {
        const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..n)
            .map(|_| char::from(CHARS[self.rng.gen_range(0..CHARS.len())]))
            .collect()
    }

    /// `true` with probability `p` (clamped to `0..=1`).
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && (p >= 1.0 || self.rng.gen_bool(p))
    }

    /// A uniform float in `0..1`.
    pub fn unit(&mut self) -> f64 {
        self.rng.r#gen::<f64>()
    }

    /// A uniform index below `n` (`n > 0`).
    pub fn index(&mut self, n: usize) -> usize {
        self.rng.gen_range(0..n.max(1))
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.rng.r#gen::<u8>()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_meta_and_are_unique() {
        let mut g = IdGen::new(7);
        let id = g.numeric_id();
        assert!((15..=16).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit()));
        let a = g.wamid("16505551234");
        let b = g.wamid("16505551234");
        assert!(a.starts_with("wamid.HBgL"), "{a}");
        assert_ne!(a, b);
        assert_eq!(IdGen::new(7).numeric_id(), id);
    }
}
