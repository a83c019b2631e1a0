//! The partials of every pivot's group, side by side in slot order, and
//! each group's weight per pivot molecule.
//!
//! Most groups are small (on fceri_gamma2, 93 % of draws land in groups of
//! under 16 reactions): a draw scans the partials, and the weight is their
//! sum, taken afresh at each change (a few additions).
//!
//! A hub's group holds hundreds or thousands of reactions, whose partials
//! would change at most events (every complex that binds a hub is one of
//! them) were most of them not bounds that move seldom (`partial.rs`), and
//! which few draws reach (one in fourteen on fceri_gamma2). So it is laid
//! out for cheap changes: its partials in blocks of [`BLOCK`], a change
//! marks its block, and a draw sums the marked blocks (and their
//! superblocks, of [`SUPER`] blocks) afresh, then scans the superblock
//! sums, one superblock's block sums and one block. Its weight is an upper
//! bound of its sum, which moves only when the sum leaves a band below it,
//! so a change seldom touches the top level, and a draw from it draws
//! nothing with probability 1 - sum / bound. The caller, drawing the group
//! by its bound, counts that as a rejected trial of a thinning (Lewis &
//! Shedler 1979): exact, at the cost of 1.9 rejected trials in a hundred on
//! fceri_gamma2 (to t = 1073). Composition-rejection, which this
//! replaced, drew in constant time but cost 70 instructions a change, half
//! again what the rest of the change did (callgrind).

use rand_xoshiro::Xoshiro256PlusPlus;

use super::super::composition::sum_in_lanes;
// Scanned groups' partials are padded with zeros (never drawn) to a
// multiple of the chunks that `land` sums.
use super::super::scan::{LANES, land};
use super::super::uniform;

/// Groups of up to this many reactions are scanned whole; larger ones in
/// blocks. On fceri_gamma2, whose groups hold under 16 reactions or
/// thousands, limits of 16, 32 and 64 ran within the noise of each other.
const SCAN_LIMIT: usize = 32;

/// A hub group's block: a change sums its partials afresh, a draw scans its
/// group's block sums and then one block.
const BLOCK: usize = 16;

/// A hub's blocks go in superblocks of this many, each with the sum of its
/// block sums: a draw scans a hub's superblock sums, then one superblock's
/// block sums, then one block. Scanning all of a hub's block sums (up to
/// 225 on fceri_gamma2) cost 60 instructions an event there once draws
/// from hubs were one in fourteen (callgrind, to t = 200: 905 an event
/// with superblocks, 965 without).
const SUPER: usize = 16;

/// A group's place among the partials and, for a hub, among the hubs (else
/// [`SCANNED`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(in super::super) struct Span {
    start: u32,
    len: u32,
    hub: u32,
}

const SCANNED: u32 = u32::MAX;

/// A slot's place in [`Groups`]: its partial's index, its group's hub (or
/// [`SCANNED`]) and, for a hub's, the index of its block's stale bit.
#[derive(Clone, Copy)]
pub(in super::super) struct Place {
    partial: u32,
    hub: u32,
    block: u32,
}

/// Every group's partials, by group and slot (a reaction's place in its
/// pivot's group).
#[derive(Clone)]
pub(in super::super) struct Groups {
    spans: Vec<Span>,
    /// Each group's partials, group after group, in slot order.
    partials: Vec<f64>,
    hubs: Vec<Hub>,
    /// Each hub's block sums, hub after hub, each hub's from a multiple of
    /// 64, and a bit for each, set when the block changed since its sum was
    /// taken.
    block_sums: Vec<f64>,
    stale: Vec<u64>,
    /// Each hub's superblock sums, hub after hub, in step with `block_sums`.
    super_sums: Vec<f64>,
    /// Per group, its weight per pivot molecule: a scanned group's sum, a
    /// hub's bound.
    weights: Vec<f64>,
    /// Per group, whether a partial changed while its pivot was absent,
    /// leaving its weight to be taken afresh as the pivot returns.
    unsummed: Vec<bool>,
}

/// A hub group's blocks, its running sum (the exact sum at its last bound,
/// plus every change since) and the band the running sum may move in before
/// the hub is bounded afresh, kept beside the sum so that a change reads
/// neither the bound nor anything else. After `n` changes the running sum is
/// off by at most about `n` roundings of numbers below the bound, so with
/// [`RESYNC`] changes at most it stays far inside [`MARGIN`] of the bound.
#[derive(Clone, Copy)]
struct Hub {
    blocks_start: u32,
    blocks: u32,
    changes: u32,
    sum: f64,
    low: f64,
    high: f64,
}

/// A hub's bound is its exact sum times this; it is bounded again when the
/// running sum comes within [`MARGIN`] of the bound or falls below half of it.
const HEADROOM: f64 = 1.25;
const MARGIN: f64 = 1e-9;
const RESYNC: u32 = 1 << 16;

impl Groups {
    /// Empty groups (every partial zero) of the given sizes.
    pub(in super::super) fn new(sizes: impl Iterator<Item = usize>) -> Groups {
        let mut spans = Vec::new();
        let mut hubs = Vec::new();
        let mut start = 0;
        let mut blocks_start = 0;
        for len in sizes {
            let (padded, hub) = if len <= SCAN_LIMIT {
                (len.next_multiple_of(LANES), SCANNED)
            } else {
                let blocks = len.div_ceil(BLOCK);
                hubs.push(Hub {
                    blocks_start: blocks_start as u32,
                    blocks: blocks as u32,
                    changes: 0,
                    sum: 0.0,
                    low: 0.0,
                    high: 0.0,
                });
                blocks_start += blocks.next_multiple_of(64);
                (blocks * BLOCK, (hubs.len() - 1) as u32)
            };
            spans.push(Span { start: start as u32, len: padded as u32, hub });
            start += padded;
        }
        Groups {
            weights: vec![0.0; spans.len()],
            unsummed: vec![false; spans.len()],
            spans,
            partials: vec![0.0; start],
            hubs,
            block_sums: vec![0.0; blocks_start],
            stale: vec![0; blocks_start / 64],
            super_sums: vec![0.0; blocks_start / SUPER],
        }
    }

    /// The number of partials of every group, padding included.
    pub(in super::super) fn len(&self) -> usize {
        self.partials.len()
    }

    fn scanned(&self, span: Span) -> &[f64] {
        &self.partials[span.start as usize..(span.start + span.len) as usize]
    }

    fn block(&self, span: Span, b: usize) -> &[f64] {
        let start = span.start as usize + b * BLOCK;
        &self.partials[start..start + BLOCK]
    }

    /// A hub's superblock sums, and zeros after them to a multiple of [`LANES`].
    fn super_sums(&self, hub: Hub) -> &[f64] {
        let first = hub.blocks_start as usize / SUPER;
        &self.super_sums[first..first + (hub.blocks as usize).div_ceil(SUPER).next_multiple_of(LANES)]
    }

    /// The block sums of superblock `j` (its index among all hubs'), with
    /// zeros past the hub's last block.
    fn blocks_of(&self, j: usize) -> &[f64] {
        &self.block_sums[j * SUPER..(j + 1) * SUPER]
    }

    /// Where a group's slot lies: callers that change the same slots again
    /// and again keep it, so that a change reads no group's span.
    pub(in super::super) fn place(&self, group: usize, slot: usize) -> Place {
        let span = self.spans[group];
        debug_assert!(slot < span.len as usize);
        let block = match self.hubs.get(span.hub as usize) {
            Some(hub) => hub.blocks_start + (slot / BLOCK) as u32,
            None => 0,
        };
        Place { partial: span.start + slot as u32, hub: span.hub, block }
    }

    /// Sets the partial at `place` (of `group`); true if the group's weight
    /// changed with it. A scanned group whose pivot is absent (`present`
    /// false) keeps its weight as it was: it weighs nothing at the top level
    /// whatever its partials, so its sum waits for [`Groups::pivot_returns`].
    /// On fceri_gamma2 nineteen in twenty changes of scanned groups are of
    /// absent pivots, and their sums cost 4 % of the instructions, while
    /// under one in ten thousand pivots returns to a group left unsummed.
    /// Inlined for the common change, a hub's partial that leaves its bound
    /// in place.
    #[inline(always)]
    pub(in super::super) fn set(&mut self, group: usize, place: Place, w: f64, present: bool) -> bool {
        let old = std::mem::replace(&mut self.partials[place.partial as usize], w);
        if place.hub == SCANNED {
            if present {
                return self.sum_afresh(group);
            }
            self.unsummed[group] = true;
            return false;
        }
        let hub = &mut self.hubs[place.hub as usize];
        let sum = hub.sum + (w - old);
        self.stale[place.block as usize / 64] |= 1 << (place.block % 64);
        if sum <= hub.high && sum >= hub.low && hub.changes + 1 < RESYNC {
            (hub.sum, hub.changes) = (sum, hub.changes + 1);
            return false;
        }
        self.bound_afresh(group)
    }

    /// Brings the weight of `group` up to date if a partial changed while
    /// its pivot was absent. Called at every change of the pivot's count:
    /// the flag, seldom set, makes a branch predicted right, where testing
    /// whether the count rose from zero was mispredicted about one change
    /// in two on fceri_gamma2 (callgrind's branch simulation).
    pub(in super::super) fn pivot_returns(&mut self, group: usize) {
        if self.unsummed[group] {
            self.unsummed[group] = false;
            self.sum_afresh(group);
        }
    }

    /// A scanned group's weight taken afresh; true if it changed.
    #[inline(never)]
    fn sum_afresh(&mut self, group: usize) -> bool {
        let sum = sum_in_lanes(self.scanned(self.spans[group]));
        std::mem::replace(&mut self.weights[group], sum) != sum
    }

    /// A hub group's bound set afresh from its exact sum; true if it changed.
    #[inline(never)]
    fn bound_afresh(&mut self, group: usize) -> bool {
        let span = self.spans[group];
        let hub = self.hubs[span.hub as usize];
        self.refresh(span, hub);
        let sum = sum_in_lanes(self.super_sums(hub));
        let hub = &mut self.hubs[span.hub as usize];
        let bound = sum * HEADROOM;
        (hub.sum, hub.changes, hub.low, hub.high) = (sum, 0, 0.5 * bound, bound * (1.0 - MARGIN));
        std::mem::replace(&mut self.weights[group], bound) != bound
    }

    /// Takes afresh the sums of a hub's blocks changed since theirs were
    /// taken: only at a draw from the hub or a new bound, as a few blocks
    /// (the complexes that come and go fastest) take most of the changes.
    fn refresh(&mut self, span: Span, hub: Hub) {
        let first = hub.blocks_start as usize / 64;
        for word in first..first + (hub.blocks as usize).div_ceil(64) {
            let stale = std::mem::take(&mut self.stale[word]);
            let mut bits = stale;
            while bits != 0 {
                let b = word * 64 + bits.trailing_zeros() as usize;
                self.block_sums[b] = sum_in_lanes(self.block(span, b - hub.blocks_start as usize));
                bits &= bits - 1;
            }
            for quarter in 0..64 / SUPER {
                if (stale >> (quarter * SUPER)) as u16 != 0 {
                    let j = word * (64 / SUPER) + quarter;
                    self.super_sums[j] = sum_in_lanes(self.blocks_of(j));
                }
            }
        }
    }

    /// Where a group's partials lie: what [`Groups::sample`] reads first.
    pub(in super::super) fn span(&self, group: usize) -> Span {
        self.spans[group]
    }

    /// A group's weight per pivot molecule, while its pivot is present: at
    /// least the sum of its partials, and the sum itself for a scanned group.
    #[inline]
    pub(in super::super) fn weight(&self, group: usize) -> f64 {
        self.weights[group]
    }

    /// A slot of `group`, whose span is `span`, drawn with probability
    /// partial / [`Groups::weight`], or none with the rest of the
    /// probability (only from a hub's group); only slots of positive partial
    /// are drawn.
    pub(in super::super) fn sample(
        &mut self,
        group: usize,
        span: Span,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Option<Drawn> {
        debug_assert_eq!(span, self.spans[group]);
        let x = uniform(rng) * self.weights[group];
        if span.hub == SCANNED {
            let partials = self.scanned(span);
            // If rounding carries `x` past every partial, the last positive one is taken.
            let slot = land(partials, x).map(|(slot, _)| slot);
            let slot = slot.or_else(|| partials.iter().rposition(|&w| w > 0.0))?;
            return Some(Drawn { at: span.start as usize + slot, hub_rest: None });
        }
        let hub = self.hubs[span.hub as usize];
        self.refresh(span, hub);
        let (j, x) = land(self.super_sums(hub), x)?;
        let first = hub.blocks_start as usize / SUPER;
        let (b, x) = land(self.blocks_of(first + j), x)?;
        let partials = self.block(span, j * SUPER + b);
        let (slot, x) = land(partials, x).or_else(|| Some((partials.iter().rposition(|&w| w > 0.0)?, x)))?;
        let at = span.start as usize + (j * SUPER + b) * BLOCK + slot;
        Some(Drawn { at, hub_rest: Some(x.min(partials[slot])) })
    }
}

/// A drawn slot and, for a hub's, where the draw fell in its partial:
/// uniform in (0, partial], so that a caller whose stored partial bounds
/// the reaction's accepts the draw with probability (the reaction's) / (the
/// stored one) by accepting a `hub_rest` at most the reaction's.
pub(in super::super) struct Drawn {
    /// The slot's index among every group's partials ([`Place::index`]).
    pub(in super::super) at: usize,
    pub(in super::super) hub_rest: Option<f64>,
}

impl Span {
    /// The index of the group's first partial.
    pub(in super::super) fn first(self) -> usize {
        self.start as usize
    }
}

impl Place {
    /// Whether the slot is in a hub's group.
    pub(in super::super) fn in_hub(self) -> bool {
        self.hub != SCANNED
    }

    /// The slot's index among every group's partials, padding included:
    /// below [`Groups::len`].
    pub(in super::super) fn index(self) -> usize {
        self.partial as usize
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::composition::assert_draws_follow;
    use super::*;
    use rand_xoshiro::rand_core::{Rng, SeedableRng};

    /// A scanned group and hubs' (of one superblock and of three) draw each
    /// slot in proportion to its partial (within 5 standard errors) and
    /// never a zero; a hub's draws nothing with the probability its bound's
    /// headroom leaves, the scanned one never.
    #[test]
    fn scanned_and_hub_groups_draw_in_proportion_to_the_partials() {
        let small = [0.5, 0.0, 2.0, 1e-3, 7.5];
        let hub = |len: usize| -> Vec<f64> {
            (0..len).map(|j| if j % 3 == 0 { 0.0 } else { (j % 17) as f64 * 0.25 }).collect()
        };
        // One superblock, and three (the last part-filled).
        let (large, larger) = (hub(SCAN_LIMIT + 8), hub(BLOCK * SUPER * 2 + 40));
        let mut groups = Groups::new([small.len(), large.len(), larger.len()].into_iter());
        assert_eq!(groups.hubs.len(), 2, "only the groups above the limit are hubs");
        for (group, partials) in [&small[..], &large[..], &larger[..]].into_iter().enumerate() {
            for (slot, &w) in partials.iter().enumerate() {
                let place = groups.place(group, slot);
                groups.set(group, place, 1.0, true);
                groups.set(group, place, w, true);
            }
            let sum: f64 = partials.iter().sum();
            let weight = groups.weight(group);
            if group == 0 {
                assert_eq!(weight, sum, "a scanned group weighs its sum");
            } else {
                assert!(sum < weight && weight <= HEADROOM * sum * (1.0 + 1e-12), "bound {weight} for {sum}");
            }
            // Drawing nothing counts as one more slot, of the bound's headroom.
            let mut outcomes = partials.to_vec();
            outcomes.push(weight - sum);
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
            // A hub's draw comes with where it fell in the slot's partial:
            // uniform in (0, partial], so a quarter of the draws in each quarter.
            let mut quarters = [0u32; 4];
            let span = groups.span(group);
            assert_draws_follow(&outcomes, 200_000, || match groups.sample(group, span, &mut rng) {
                Some(Drawn { at, hub_rest }) => {
                    let slot = at - groups.spans[group].start as usize;
                    assert_eq!(hub_rest.is_some(), group > 0, "only a hub's draw has a rest");
                    if let Some(rest) = hub_rest {
                        let share = rest / partials[slot];
                        assert!(share > 0.0 && share <= 1.0, "rest {rest} in partial {}", partials[slot]);
                        quarters[((4.0 * share).ceil() as usize).clamp(1, 4) - 1] += 1;
                    }
                    slot
                }
                None => partials.len(),
            });
            let draws: u32 = quarters.iter().sum();
            let expected = f64::from(draws) / 4.0;
            for &q in &quarters {
                assert!((f64::from(q) - expected).abs() <= 5.0 * (expected * 0.75).sqrt(), "{quarters:?}");
            }
        }
    }

    /// A scanned group's partials set while its pivot is absent leave its
    /// weight as it was; as the pivot returns the weight is their sum, and
    /// a return with no change in between keeps it.
    #[test]
    fn an_absent_pivots_group_is_summed_as_the_pivot_returns() {
        let mut groups = Groups::new([6].into_iter());
        let mut set = |slot, w, present| groups.set(0, groups.place(0, slot), w, present);
        assert!(set(0, 1.5, true));
        assert!(set(3, 2.0, true));
        assert!(!set(3, 0.25, false), "an absent pivot's group reports no change");
        assert!(!set(5, 4.0, false));
        assert_eq!(groups.weight(0), 3.5, "the weight waits for the pivot");
        groups.pivot_returns(0);
        assert_eq!(groups.weight(0), 5.75);
        groups.pivot_returns(0);
        assert_eq!(groups.weight(0), 5.75);
        assert!(!groups.unsummed[0]);
    }

    /// A hub group's bound stays above its sum, and within the band
    /// that keeps its draws mostly accepted, through a long run of changes
    /// that grow, shrink and empty it; it reports each change of bound, and
    /// its draws read block sums as fresh as its partials.
    #[test]
    fn a_hub_groups_bound_follows_its_sum() {
        let len = BLOCK * SUPER * 2 + 40;
        let mut groups = Groups::new([len].into_iter());
        let mut partials = vec![0.0; len];
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        for step in 0..200_000u64 {
            let slot = (rng.next_u64() % len as u64) as usize;
            // Long stretches of growth, then of decay to nothing.
            let w = if (step / 20_000) % 2 == 0 { uniform(&mut rng) * 3.0 } else { 0.0 };
            let before = groups.weight(0);
            let changed = groups.set(0, groups.place(0, slot), w, true);
            assert_eq!(changed, groups.weight(0) != before);
            partials[slot] = w;
            let sum: f64 = partials.iter().sum();
            let bound = groups.weight(0);
            assert!(sum <= bound * (1.0 + 1e-12), "step {step}: sum {sum} above bound {bound}");
            assert!(bound <= 2.0 * sum * (1.0 + 1e-9) + 1e-12, "step {step}: bound {bound} for {sum}");
            // Draws between changes see every block's sum brought up to date.
            if step % 7 == 0
                && let Some(Drawn { at: drawn, .. }) = groups.sample(0, groups.span(0), &mut rng)
            {
                assert!(partials[drawn] > 0.0, "step {step}: drew slot {drawn} of partial 0");
                let fresh: Vec<f64> = partials.chunks(BLOCK).map(sum_in_lanes).collect();
                let hub = groups.hubs[0];
                let start = hub.blocks_start as usize;
                assert_eq!(&groups.block_sums[start..start + fresh.len()], &fresh[..], "step {step}");
                let supers: Vec<f64> = (0..fresh.len().div_ceil(SUPER).next_multiple_of(LANES))
                    .map(|j| sum_in_lanes(groups.blocks_of(start / SUPER + j)))
                    .collect();
                assert_eq!(groups.super_sums(hub), &supers[..], "step {step}");
            }
        }
    }
}
