//! Random ids from the platform's CSPRNG: `crypto.getRandomValues` in the browser
//! (getrandom's `wasm_js` backend), the OS natively.

use crate::prelude::*;

/// Fills `buf` with random bytes. In the browser they come from a pool refilled 256 bytes at a
/// time, so an id costs no crossing to `crypto.getRandomValues` (and no new `Uint8Array`).
pub fn fill(buf: &mut [u8]) {
    #[cfg(target_arch = "wasm32")]
    pool::take(buf);
    #[cfg(not(target_arch = "wasm32"))]
    from_source(buf);
}

/// Fills `buf` from the platform; on the (unexpected) failure of the source, falls back to a
/// time-seeded xorshift so an id is still produced rather than the agent stopping.
fn from_source(buf: &mut [u8]) {
    if getrandom::fill(buf).is_err() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ (buf.as_ptr() as u64);
        for b in buf.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod pool {
    use core::cell::RefCell;

    struct Pool {
        bytes: [u8; 256],
        /// How many of `bytes` are used up.
        used: usize,
    }

    struct One(RefCell<Pool>);
    // SAFETY: the wasm32 build has one thread.
    unsafe impl Sync for One {}

    static POOL: One = One(RefCell::new(Pool {
        bytes: [0; 256],
        used: 256,
    }));

    /// Fills `buf` from the pool, refilling it when it runs out; each byte is handed out once.
    pub fn take(buf: &mut [u8]) {
        let Ok(mut guard) = POOL.0.try_borrow_mut() else {
            return super::from_source(buf);
        };
        let p = &mut *guard;
        for b in buf.iter_mut() {
            if p.used >= p.bytes.len() {
                super::from_source(&mut p.bytes);
                p.used = 0;
            }
            *b = p.bytes.get(p.used).copied().unwrap_or(0);
            p.used += 1;
        }
    }
}

const ALNUM: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// An id of `len` characters from `[A-Za-z0-9]`, without modulo bias.
pub fn alnum_id(len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 32];
    while out.len() < len {
        fill(&mut buf);
        for &b in buf.iter() {
            // 248 = 62 * 4: rejecting the top bytes keeps every character equally likely.
            if b < 248 && out.len() < len {
                out.push(ALNUM[(b % 62) as usize] as char);
            }
        }
    }
    out
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

/// A uniformly distributed number in [0, 1).
pub fn unit() -> f64 {
    let mut b = [0u8; 8];
    fill(&mut b);
    (u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alnum_ids_have_the_length_and_alphabet() {
        let id = alnum_id(20);
        assert_eq!(id.len(), 20);
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(alnum_id(20), id);
    }

    #[test]
    fn hex_is_lowercase() {
        assert_eq!(hex(&[0, 0xab, 0x0f]), "00ab0f");
    }

    #[test]
    fn unit_is_in_range() {
        for _ in 0..1000 {
            let u = unit();
            assert!((0.0..1.0).contains(&u));
        }
    }
}
