//! The day's ids, indexed for the edges readers: every edge names a segment and an item, looked
//! up by id 10^7 times while a large day loads.

use rustc_hash::FxHashMap;

use crate::types::Instance;

/// The day's segment and item ids, for looking edges up.
pub(crate) struct DayIds {
    pub(crate) segments: IdIndex,
    pub(crate) items: IdIndex,
}

impl DayIds {
    pub(crate) fn of(inst: &Instance) -> DayIds {
        DayIds { segments: IdIndex::of(inst.segments.iter().map(|s| s.id.as_str())), items: IdIndex::of(inst.items.iter().map(|i| i.id.as_str())) }
    }
}

/// Ids to their positions, the ids kept in the table itself: a lookup reads one cache line. With
/// the keys borrowed from the day's strings it read two, the table's slot and the string it
/// points to, both misses when 883k items are looked up in file order (a quarter of loading the
/// 10^7-edge day was that second miss). Ids longer than a slot holds, rare, go to a map.
pub(crate) struct IdIndex {
    table: hashbrown::HashTable<IdSlot>,
    long: FxHashMap<String, usize>,
}

/// An id of at most [`IdSlot::CAPACITY`] bytes and its position, in 32 bytes.
#[repr(align(32))]
struct IdSlot {
    key: [u8; IdSlot::CAPACITY],
    len: u8,
    pos: u32,
}

impl IdSlot {
    const CAPACITY: usize = 27;

    fn id(&self) -> &str {
        // The key was copied from a `&str`, whole.
        std::str::from_utf8(&self.key[..self.len as usize]).unwrap_or_default()
    }
}

impl IdIndex {
    /// The index of `ids` (the first position of an id listed twice: validation reports that).
    pub(crate) fn of<'a>(ids: impl Iterator<Item = &'a str>) -> IdIndex {
        let mut index = IdIndex { table: hashbrown::HashTable::new(), long: FxHashMap::default() };
        for (pos, id) in ids.enumerate() {
            if index.get(id).is_some() {
                continue;
            }
            if id.len() > IdSlot::CAPACITY || pos > u32::MAX as usize {
                index.long.insert(id.to_string(), pos);
                continue;
            }
            let mut key = [0u8; IdSlot::CAPACITY];
            key[..id.len()].copy_from_slice(id.as_bytes());
            let slot = IdSlot { key, len: id.len() as u8, pos: pos as u32 };
            index.table.insert_unique(hash_id(id), slot, |s| hash_id(s.id()));
        }
        index
    }

    /// The position of `id`.
    #[inline]
    pub(crate) fn get(&self, id: &str) -> Option<usize> {
        if id.len() > IdSlot::CAPACITY {
            return self.long.get(id).copied();
        }
        self.table.find(hash_id(id), |s| s.id() == id).map(|s| s.pos as usize).or_else(|| self.long.get(id).copied())
    }
}

fn hash_id(id: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(id)
}

#[cfg(test)]
mod tests {
    use super::IdIndex;
    use proptest::prelude::*;
    use std::collections::HashMap;

    #[test]
    fn ids_of_every_length_resolve_to_their_first_position() {
        let exact = "x".repeat(27);
        let over = "y".repeat(28);
        let ids = ["a", "seg-1", "é-ü", exact.as_str(), over.as_str(), "a", ""];
        let index = IdIndex::of(ids.iter().copied());
        assert_eq!(index.get("a"), Some(0), "a duplicate keeps its first position");
        assert_eq!(index.get("seg-1"), Some(1));
        assert_eq!(index.get("é-ü"), Some(2));
        assert_eq!(index.get(&exact), Some(3), "27 bytes fit a slot");
        assert_eq!(index.get(&over), Some(4), "28 bytes go to the map");
        assert_eq!(index.get(""), Some(6));
        assert_eq!(index.get("seg-2"), None);
        assert_eq!(index.get(&"x".repeat(26)), None, "a prefix of a slot's id is another id");
        assert_eq!(index.get(&"y".repeat(29)), None);
    }

    proptest! {
        #[test]
        fn the_index_answers_as_a_map_does(ids in prop::collection::vec("[a-c]{0,3}|[a-z0-9-]{20,34}", 0..200), probes in prop::collection::vec("[a-c]{0,3}|[a-z0-9-]{20,34}", 0..50)) {
            let index = IdIndex::of(ids.iter().map(String::as_str));
            let mut map = HashMap::new();
            for (pos, id) in ids.iter().enumerate() {
                map.entry(id.as_str()).or_insert(pos);
            }
            for id in ids.iter().chain(&probes) {
                prop_assert_eq!(index.get(id), map.get(id.as_str()).copied(), "{}", id);
            }
        }
    }
}
