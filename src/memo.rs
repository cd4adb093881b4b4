//! A small process-wide memo of pure results. Each value is kept under its
//! key with the inputs it was made from (its stamp) and served only while
//! the caller's stamp is equal, so a kept value is never stale: it only
//! spares making the same value again. At most `max` keys are kept (all are
//! dropped when it is full); a poisoned lock only skips the memo.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

pub struct Memo<K, S, V> {
    max: usize,
    kept: Mutex<HashMap<K, (S, V)>>,
}

impl<K: Hash + Eq, S, V: Clone> Memo<K, S, V> {
    pub fn new(max: usize) -> Memo<K, S, V> {
        Memo {
            max,
            kept: Mutex::new(HashMap::new()),
        }
    }

    /// The value kept for `key` if it was made from `stamp`, else `make`'s
    /// (kept unless `None`).
    pub fn get_or_make<Q>(&self, key: K, stamp: &Q, make: impl FnOnce() -> Option<V>) -> Option<V>
    where
        Q: PartialEq + ToOwned<Owned = S> + ?Sized,
        S: Borrow<Q>,
    {
        if let Ok(kept) = self.kept.lock() {
            if let Some((made_from, value)) = kept.get(&key) {
                if made_from.borrow() == stamp {
                    return Some(value.clone());
                }
            }
        }
        let value = make()?;
        if let Ok(mut kept) = self.kept.lock() {
            if kept.len() >= self.max {
                kept.clear();
            }
            kept.insert(key, (stamp.to_owned(), value.clone()));
        }
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_served_while_its_stamp_holds_and_the_memo_stays_bounded() {
        let memo: Memo<i64, Vec<i64>, String> = Memo::new(2);
        let made = std::cell::Cell::new(0);
        let make = |v: &str| {
            made.set(made.get() + 1);
            Some(v.to_string())
        };
        assert_eq!(
            memo.get_or_make(1, &[1][..], || make("a")).as_deref(),
            Some("a")
        );
        assert_eq!(
            memo.get_or_make(1, &[1][..], || make("b")).as_deref(),
            Some("a")
        );
        assert_eq!(made.get(), 1, "kept");
        assert_eq!(
            memo.get_or_make(1, &[2][..], || make("c")).as_deref(),
            Some("c")
        );
        assert_eq!(made.get(), 2, "another stamp is made again");
        assert_eq!(
            memo.get_or_make(2, &[1][..], || None),
            None,
            "None is not kept"
        );
        memo.get_or_make(2, &[1][..], || make("d"));
        memo.get_or_make(3, &[1][..], || make("e"));
        assert!(memo.kept.lock().expect("lock").len() <= 2);
    }
}
