//! Smaller variants of a failing input, tried in order by the runner.

use serde_json::Value;

/// Most candidates one input proposes per step.
const MAX_CANDIDATES: usize = 96;

/// An input that can propose smaller versions of itself.
pub trait Shrink: Sized {
    /// Smaller inputs, most aggressive first.
    fn candidates(&self) -> Vec<Self>;
}

/// Chunks removed from a sequence: halves, quarters, ... single items.
fn without_chunks<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
    let mut out = Vec::new();
    let mut size = items.len() / 2;
    while size >= 1 && out.len() < MAX_CANDIDATES {
        let mut start = 0;
        while start < items.len() && out.len() < MAX_CANDIDATES {
            let end = (start + size).min(items.len());
            out.push([&items[..start], &items[end..]].concat());
            start += size;
        }
        size /= 2;
    }
    if !items.is_empty() {
        out.insert(0, Vec::new());
    }
    out
}

impl Shrink for Vec<u8> {
    fn candidates(&self) -> Vec<Self> {
        without_chunks(self)
    }
}

impl Shrink for String {
    fn candidates(&self) -> Vec<Self> {
        let chars: Vec<char> = self.chars().collect();
        without_chunks(&chars)
            .into_iter()
            .map(|c| c.into_iter().collect())
            .collect()
    }
}

impl Shrink for bool {
    fn candidates(&self) -> Vec<Self> {
        if *self { vec![false] } else { Vec::new() }
    }
}

impl<T: Shrink + Clone> Shrink for Option<T> {
    fn candidates(&self) -> Vec<Self> {
        match self {
            None => Vec::new(),
            Some(v) => std::iter::once(None)
                .chain(v.candidates().into_iter().map(Some))
                .collect(),
        }
    }
}

impl<T: Shrink + Clone> Shrink for Vec<T> {
    fn candidates(&self) -> Vec<Self> {
        let mut out = without_chunks(self);
        for (i, item) in self.iter().enumerate() {
            for c in item.candidates().into_iter().take(8) {
                let mut v = self.clone();
                v[i] = c;
                out.push(v);
            }
        }
        out.truncate(MAX_CANDIDATES * 2);
        out
    }
}

impl Shrink for Value {
    fn candidates(&self) -> Vec<Self> {
        let mut out = Vec::new();
        match self {
            Value::Null => {}
            Value::Bool(_) | Value::Number(_) => out.push(Value::Null),
            Value::String(s) => out.extend(s.candidates().into_iter().map(Value::String)),
            Value::Array(items) => {
                out.extend(items.iter().cloned());
                out.extend(items.candidates().into_iter().map(Value::Array));
            }
            Value::Object(map) => {
                out.extend(map.values().cloned());
                for key in map.keys() {
                    let mut m = map.clone();
                    m.remove(key);
                    out.push(Value::Object(m));
                }
                for (key, child) in map {
                    for c in child.candidates().into_iter().take(8) {
                        let mut m = map.clone();
                        m.insert(key.clone(), c);
                        out.push(Value::Object(m));
                    }
                }
            }
        }
        out.truncate(MAX_CANDIDATES * 2);
        out
    }
}

/// One component of a tuple shrunk at a time.
macro_rules! shrink_tuple {
    ($($t:ident $i:tt),+) => {
        impl<$($t: Shrink + Clone),+> Shrink for ($($t,)+) {
            fn candidates(&self) -> Vec<Self> {
                let mut out = Vec::new();
                $(
                    for c in self.$i.candidates() {
                        let mut v = self.clone();
                        v.$i = c;
                        out.push(v);
                    }
                )+
                out
            }
        }
    };
}

shrink_tuple!(A 0, B 1);
shrink_tuple!(A 0, B 1, C 2);
shrink_tuple!(A 0, B 1, C 2, D 3);
