//! Indices grouped by a key, in one array: what a segment's edges, a group's columns or an
//! artifact segment's edges are, read without a vector per group.

/// The indices `0..n` grouped by `key(j) < groups` (a counting sort, so each group keeps its
/// indices ascending): group `g` holds `members[start[g]..start[g + 1]]`.
///
/// # Panics
/// If a key is `groups` or more, or an index does not fit `I`.
pub fn group_by<I: TryFrom<usize> + Copy + Default>(groups: usize, n: usize, key: impl Fn(usize) -> usize) -> (Vec<usize>, Vec<I>)
where
    I::Error: std::fmt::Debug,
{
    let mut start = vec![0usize; groups + 1];
    for j in 0..n {
        start[key(j) + 1] += 1;
    }
    for g in 0..groups {
        start[g + 1] += start[g];
    }
    let mut fill = start.clone();
    let mut members = vec![I::default(); n];
    for j in 0..n {
        let g = key(j);
        members[fill[g]] = I::try_from(j).expect("an index that fits the members' type");
        fill[g] += 1;
    }
    (start, members)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_keep_their_indices_ascending() {
        let keys = [2, 0, 2, 1, 0];
        let (start, members) = group_by::<u32>(4, keys.len(), |j| keys[j]);
        assert_eq!(start, [0, 2, 3, 5, 5]);
        assert_eq!(members, [1, 4, 3, 0, 2]);
    }
}
