//! Maps and sets keyed by names, with foldhash in place of std's SipHash.
//!
//! A compiler's keys are names it read from the user's own files or made
//! itself, so SipHash's resistance to chosen-key flooding buys nothing here,
//! while hashing names was a tenth of the compile of a large network
//! (scripts/bench_compile). Iteration order never matters where these are used.

pub type FastState = foldhash::fast::RandomState;
pub type HashMap<K, V> = std::collections::HashMap<K, V, FastState>;
pub type HashSet<K> = std::collections::HashSet<K, FastState>;
pub type IndexMap<K, V> = indexmap::IndexMap<K, V, FastState>;
