//! The smallest networks' events in machine code compiled for the network
//! (issue 14: rebop's `define_system!` macro, whose network is compiled into
//! straight-line code, is the yardstick).
//!
//! A loop over a table of terms spends most of an event on reading the
//! table: which counts a term reads, its constant, its shape. Here each is
//! in the code: a reaction's propensity is one or two multiplications by a
//! constant, of counts read at fixed offsets, and the running sums stay in
//! registers and are compared with the target two at a time. Firing reads
//! the reaction's row of (count offset, change) pairs, padded to one width,
//! from a table the code points at: a jump to code of the reaction's own was
//! tried first, and that indirect jump, mispredicted on most events, made
//! multistate slower (24.3-25.8 M events/s against 28.1-30.1, alternated).
//! Multistate takes 229 instructions an event (152 in the code), the table
//! loop 485.
//!
//! The code computes what the table loop (`small.rs`) does, operation for
//! operation, so the trajectories are the same bit for bit (a test checks):
//! c · n[p] · n[q] with the products in `Term`'s order, summed as
//! `super::running_sums` sums. Two differences cannot show: a single
//! reactant's product with the constant slot 1 is left out (x · 1 = x), and
//! a dimer's max(n − 1, 0) is n − 1, which differs only at n = 0, where the
//! product is −0 instead of 0, and a running sum or a comparison with a
//! positive target cannot tell them apart.
//!
//! Cranelift is the code generator: a JIT without LLVM's compile times (a
//! network compiles in about a millisecond). A host it does not support
//! falls back to the table loop, which gives the same trajectories. The
//! module's `unsafe` is the call into the code and freeing it; the code
//! touches only the counts below `SLOTS`, which `Rates::compile` asserts.

use std::sync::Mutex;

use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::{AbiParam, BlockArg, InstBuilder, MemFlagsData, Value, types};
use cranelift_codegen::isa::TargetFrontendConfig;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Module, default_libcall_names};

use super::super::MAX_COUNT;
use super::small::SLOTS;
use super::{SUM_BLOCK, Term};

/// `*reaction`: no reaction to fire before the propensities.
pub(super) const NONE: u32 = u32::MAX;

/// The compiled function: fires reaction `*reaction` (none if it is out of
/// range, as [`NONE`]) on the float counts, then chooses the next one, at
/// fraction `u` of the total propensity, into `*reaction`, and returns the
/// total; or, when a count passes [`MAX_COUNT`], returns −(species + 1).
type EventFn = unsafe extern "C" fn(counts: *mut f64, reaction: *mut u32, u: f64) -> f64;

/// One change of a reaction's row: the count at byte `offset` changes by `delta`.
#[repr(C)]
#[derive(Clone, Copy)]
struct Change {
    offset: i64,
    delta: f64,
}

/// The size of a [`Change`], with which the code finds a reaction's row.
const CHANGE_BYTES: i64 = std::mem::size_of::<Change>() as i64;

/// A network's propensities and reactions as machine code.
pub(in super::super) struct Rates {
    function: EventFn,
    /// The rows the code reads, one per reaction and a last of no change
    /// (for [`NONE`]); boxed, so that their address, which is in the code,
    /// stays put. Read only through that address.
    _rows: Box<[Change]>,
    /// Owns the code, which lives as long as it; a `Mutex` only so that
    /// `Rates` is `Sync` (the module is touched again only to free it).
    module: Mutex<Option<JITModule>>,
}

impl Rates {
    /// The code for `terms` (over counts with the constant 1 in slot `one`)
    /// and each reaction's `changes`; `None` on a host Cranelift does not
    /// support. Every slot is below [`SLOTS`] (the caller's `small::fits`).
    pub(super) fn compile(terms: &[Term], one: u32, changes: &[Vec<(u32, i32)>]) -> Option<Rates> {
        let slots =
            terms.iter().flat_map(|term| [term.p, term.q]).chain(changes.iter().flatten().map(|c| c.0));
        assert!(slots.chain([one]).all(|s| (s as usize) < SLOTS), "a network of the small loop");
        let mut flags = settings::builder();
        flags.set("opt_level", "speed").ok()?;
        flags.set("is_pic", "false").ok()?;
        let isa = cranelift_native::builder().ok()?.finish(settings::Flags::new(flags)).ok()?;
        let mut module = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
        let mut context = module.make_context();
        let pointer = module.target_config().pointer_type();
        let signature = &mut context.func.signature;
        signature.params.extend([AbiParam::new(pointer), AbiParam::new(pointer), AbiParam::new(types::F64)]);
        signature.returns.push(AbiParam::new(types::F64));
        let (rows, width) = rows(changes);
        let layout = Layout { terms, one, rows: rows.as_ptr() as i64, width, reactions: changes.len() };
        let mut builder_context = FunctionBuilderContext::new();
        let target = module.target_config();
        Emitter { b: FunctionBuilder::new(&mut context.func, &mut builder_context), counts: Vec::new() }
            .function(&layout, target);
        let id = module.declare_anonymous_function(&context.func.signature).ok()?;
        module.define_function(id, &mut context).ok()?;
        module.clear_context(&mut context);
        module.finalize_definitions().ok()?;
        let code = module.get_finalized_function(id);
        // SAFETY: the code was compiled from a function of exactly this
        // signature, in the host's default calling convention, which is
        // `extern "C"`'s.
        let function = unsafe { std::mem::transmute::<*const u8, EventFn>(code) };
        Some(Rates { function, _rows: rows, module: Mutex::new(Some(module)) })
    }

    /// Fires `*reaction` (one, or [`NONE`]), then chooses the next one at
    /// fraction `u` (in (0, 1]) of the total propensity into `*reaction`; the
    /// total, or the species whose count passed [`MAX_COUNT`].
    #[inline(always)]
    pub(super) fn fire_then_choose(
        &self,
        counts: &mut [f64; SLOTS],
        reaction: &mut u32,
        u: f64,
    ) -> Result<f64, usize> {
        // SAFETY: the code reads and writes `counts` below `SLOTS` (asserted
        // when compiled), reads `self._rows`, which lives as long as the code,
        // and fires nothing for a reaction out of range.
        let a0 = unsafe { (self.function)(counts.as_mut_ptr(), reaction, u) };
        if a0 < 0.0 { Err((-a0) as usize - 1) } else { Ok(a0) }
    }
}

/// Each reaction's changes as a row of [`Change`]s padded with changes of 0
/// to the longest's width, and a last row of no change; and the width.
fn rows(changes: &[Vec<(u32, i32)>]) -> (Box<[Change]>, usize) {
    let changing = |list: &[(u32, i32)]| -> Vec<Change> {
        list.iter()
            .filter(|&&(_, d)| d != 0)
            .map(|&(s, d)| Change { offset: i64::from(s) * 8, delta: f64::from(d) })
            .collect()
    };
    let width = changes.iter().map(|list| changing(list).len()).max().unwrap_or(0);
    let mut rows = Vec::with_capacity((changes.len() + 1) * width);
    for list in changes.iter().map(Vec::as_slice).chain([&[][..]]) {
        let row = changing(list);
        rows.extend_from_slice(&row);
        rows.extend(std::iter::repeat_n(Change { offset: 0, delta: 0.0 }, width - row.len()));
    }
    (rows.into_boxed_slice(), width)
}

impl Drop for Rates {
    fn drop(&mut self) {
        let module = self.module.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner()).take();
        if let Some(module) = module {
            // SAFETY: `function` is the module's only code and is not
            // running: `fire_then_choose` borrows `self`, which is being
            // dropped. The rows outlive the code: fields drop after `drop`.
            unsafe { module.free_memory() };
        }
    }
}

/// What the code is compiled from.
struct Layout<'t> {
    terms: &'t [Term],
    /// The slot of the constant 1.
    one: u32,
    /// The address of the rows and their width.
    rows: i64,
    width: usize,
    reactions: usize,
}

/// Writes the function's instructions.
struct Emitter<'f> {
    b: FunctionBuilder<'f>,
    /// Each count slot's value, once loaded in the propensities' block.
    counts: Vec<Option<Value>>,
}

impl Emitter<'_> {
    fn function(mut self, layout: &Layout<'_>, target: TargetFrontendConfig) {
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        let [counts, reaction, u] = self.b.block_params(entry).try_into().expect("three parameters");
        let pending = self.b.ins().load(types::I32, MemFlagsData::trusted(), reaction, 0);
        self.fire(counts, pending, layout);
        let propensities: Vec<Value> =
            layout.terms.iter().map(|term| self.propensity(counts, term, layout.one)).collect();
        let (cumulative, total) = self.running_sums(&propensities);
        let target_sum = self.b.ins().fmul(u, total);
        // The last sum is the total, never below the target.
        let chosen = self.count_below(&cumulative[..cumulative.len().saturating_sub(1)], target_sum);
        self.b.ins().store(MemFlagsData::trusted(), chosen, reaction, 0);
        self.b.ins().return_(&[total]);
        self.b.seal_all_blocks();
        self.b.finalize(target);
    }

    /// Adds the changes of row `pending` (the last, of no change, for any
    /// out of range) to the counts, without a branch on the reaction; a
    /// count that passes [`MAX_COUNT`] returns −(species + 1) at once.
    fn fire(&mut self, counts: Value, pending: Value, layout: &Layout<'_>) {
        if layout.width == 0 {
            return;
        }
        let pending = self.b.ins().uextend(types::I64, pending);
        let none = self.b.ins().iconst(types::I64, layout.reactions as i64);
        let row = self.b.ins().umin(pending, none);
        let row = self.b.ins().imul_imm_u(row, CHANGE_BYTES * layout.width as i64);
        let row = self.b.ins().iadd_imm_u(row, layout.rows);
        let limit = self.b.ins().f64const(MAX_COUNT as f64);
        let overflow = self.b.create_block();
        self.b.append_block_param(overflow, types::I64);
        for w in 0..layout.width as i32 {
            let at = w * CHANGE_BYTES as i32;
            let offset = self.b.ins().load(types::I64, MemFlagsData::trusted(), row, at);
            let delta = self.b.ins().load(types::F64, MemFlagsData::trusted(), row, at + 8);
            let address = self.b.ins().iadd(counts, offset);
            let count = self.b.ins().load(types::F64, MemFlagsData::trusted(), address, 0);
            let count = self.b.ins().fadd(count, delta);
            self.b.ins().store(MemFlagsData::trusted(), count, address, 0);
            let over = self.b.ins().fcmp(FloatCC::GreaterThan, count, limit);
            let next = self.b.create_block();
            self.b.ins().brif(over, overflow, &[BlockArg::Value(offset)], next, &[]);
            self.b.switch_to_block(next);
        }
        let next = self.b.current_block().expect("in a block");
        self.b.switch_to_block(overflow);
        let offset = self.b.block_params(overflow)[0];
        let species = self.b.ins().ushr_imm_u(offset, 3);
        let species = self.b.ins().iadd_imm_u(species, 1);
        let species = self.b.ins().fcvt_from_uint(types::F64, species);
        let code = self.b.ins().fneg(species);
        self.b.ins().return_(&[code]);
        self.b.switch_to_block(next);
    }

    /// c · n[p] · (n[q] − shift), with what is 1 or 0 left out.
    fn propensity(&mut self, counts: Value, term: &Term, one: u32) -> Value {
        let c = self.b.ins().f64const(term.c);
        if term.p == one {
            return c;
        }
        let p = self.count(counts, term.p);
        let cp = self.b.ins().fmul(c, p);
        if term.q == one {
            return cp;
        }
        let mut q = self.count(counts, term.q);
        if term.shift != 0 {
            let shift = self.b.ins().f64const(term.shift as f64);
            q = self.b.ins().fsub(q, shift);
        }
        self.b.ins().fmul(cp, q)
    }

    /// `super::running_sums`, operation for operation: the sums and their total.
    fn running_sums(&mut self, propensities: &[Value]) -> (Vec<Value>, Value) {
        let mut sums = Vec::with_capacity(propensities.len());
        let mut offset: Option<Value> = None;
        for block in propensities.chunks(SUM_BLOCK) {
            let mut local = block[0];
            for (j, &a) in block.iter().enumerate() {
                if j > 0 {
                    local = self.b.ins().fadd(local, a);
                }
                sums.push(self.offset(offset, local));
            }
            offset = sums.last().copied();
        }
        let total = offset.unwrap_or_else(|| self.b.ins().f64const(0.0));
        (sums, total)
    }

    /// How many of `sums` are below `target`, compared two at a time.
    fn count_below(&mut self, sums: &[Value], target: Value) -> Value {
        let targets = self.b.ins().splat(types::F64X2, target);
        let zero = self.b.ins().iconst(types::I64, 0);
        let mut below = self.b.ins().splat(types::I64X2, zero);
        let pairs = sums.chunks_exact(2);
        let odd = pairs.remainder().first().copied();
        for pair in pairs {
            let two = self.b.ins().splat(types::F64X2, pair[0]);
            let two = self.b.ins().insertlane(two, pair[1], 1);
            // All ones (−1) in a lane whose sum is below.
            let mask = self.b.ins().fcmp(FloatCC::LessThan, two, targets);
            below = self.b.ins().isub(below, mask);
        }
        let first = self.b.ins().extractlane(below, 0);
        let second = self.b.ins().extractlane(below, 1);
        let mut count = self.b.ins().iadd(first, second);
        if let Some(last) = odd {
            let one = self.b.ins().fcmp(FloatCC::LessThan, last, target);
            let one = self.b.ins().uextend(types::I64, one);
            count = self.b.ins().iadd(count, one);
        }
        self.b.ins().ireduce(types::I32, count)
    }

    fn offset(&mut self, offset: Option<Value>, local: Value) -> Value {
        offset.map_or(local, |o| self.b.ins().fadd(o, local))
    }

    fn count(&mut self, counts: Value, s: u32) -> Value {
        let s = s as usize;
        if self.counts.len() <= s {
            self.counts.resize(s + 1, None);
        }
        *self.counts[s].get_or_insert_with(|| {
            self.b.ins().load(types::F64, MemFlagsData::trusted(), counts, slot_offset(s as u32))
        })
    }
}

fn slot_offset(s: u32) -> i32 {
    i32::try_from(s as usize * 8).expect("a slot of a small network")
}
