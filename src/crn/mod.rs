//! The elementary CRN: the contract between the compiler and every backend.
//!
//! Species are indexed by [`SpeciesId`] and reactions by position. Every
//! reaction is irreversible mass action; a reversible source reaction becomes
//! two reactions linked through [`Reaction::partner`], so that backends that
//! can say "reversible" (text, SBML) may write them as one.
//!
//! Architecture invariant (checked by [`validate`] after every pass in debug
//! builds): species ids are in range, each species occurs at most once per
//! complex with a coefficient >= 1, rates and initial values are finite and
//! non-negative, partner links are mutual and mirror each other's complexes
//! within one group, group ids are in range and group names distinct, and a
//! signed value has at most one rail of each sign, compartment sizes are
//! finite and positive and every species' compartment is declared.
//!
//! The learning constructions tag what they make: every species has a
//! [`Role`] and, if it is one rail of a signed value, a [`Rail`]; every
//! reaction (and a species that belongs to one phase's sub-network) has a
//! group, and the [`protocol::Protocol`] beside the CRN says which groups run
//! in which phase. Backends and runners find parameters and rails through
//! these, never by name. [`Origin`] records where each element came from.

pub mod balance;
pub mod contents;
mod dump;
mod lower;
pub mod passes;
pub mod phase;
pub mod protocol;
pub mod restrict;
mod validate;

pub use dump::dump;
pub use lower::lower;
pub use validate::{Violation, max_order_violations, validate};

use crate::ir::{Quantity, RateLaw};
use crate::source::{Location, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct SpeciesId(pub u32);

impl SpeciesId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// What a species is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A species of the model.
    Plain,
    /// A complex made by a pass (molecularity) that the model does not name:
    /// outputs may hide it, and its value is not a quantity of the model.
    Intermediate,
    /// A learned value θ: it keeps its value from sample to sample.
    Parameter,
    /// An input x, loaded from a sample.
    Input,
    /// A target y, loaded from a sample.
    Target,
    /// The hidden state z of a Neural CRN (forward or reverse time).
    State,
    /// An output ŷ.
    Output,
    /// An adjoint a = ∂L/∂z.
    Adjoint,
    /// A gradient accumulator g = ∂L/∂θ.
    Gradient,
    /// A chemical potential of a detailed-balanced network: learned, like a parameter.
    Potential,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Plain => "plain",
            Role::Intermediate => "intermediate",
            Role::Parameter => "parameter",
            Role::Input => "input",
            Role::Target => "target",
            Role::State => "state",
            Role::Output => "output",
            Role::Adjoint => "adjoint",
            Role::Gradient => "gradient",
            Role::Potential => "potential",
        }
    }

    /// Whether the species holds what is learned, which survives the reset
    /// between samples.
    pub fn is_learned(self) -> bool {
        matches!(self, Role::Parameter | Role::Potential)
    }
}

/// Which rail of a signed value a species is: the value is `+` rail − `-` rail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Sign {
    #[serde(rename = "+")]
    Plus,
    #[serde(rename = "-")]
    Minus,
}

impl Sign {
    pub fn symbol(self) -> char {
        match self {
            Sign::Plus => '+',
            Sign::Minus => '-',
        }
    }
}

/// A species that is one rail of a signed value. Kept apart from [`Role`]:
/// a parameter, a state or an adjoint may each be dual rail.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Rail {
    /// The signed value's name (`x` for the rails `x_p`, `x_m`).
    pub of: String,
    pub sign: Sign,
}

/// The two rails of one signed value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RailPair {
    pub plus: SpeciesId,
    pub minus: SpeciesId,
}

impl RailPair {
    /// The signed value held in the state `x`: plus rail minus minus rail.
    pub fn value(self, x: &[f64]) -> f64 {
        x[self.plus.index()] - x[self.minus.index()]
    }

    /// Puts the signed value `v` on its rails, with nothing on the other rail.
    pub fn set(self, x: &mut [f64], v: f64) {
        x[self.plus.index()] = v.max(0.0);
        x[self.minus.index()] = (-v).max(0.0);
    }
}

/// A reaction group: the reactions that one phase of a protocol runs.
/// An index into [`Crn::groups`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct GroupId(pub u32);

impl GroupId {
    /// The group every reaction starts in: a plain network has only this
    /// one, named [`MAIN_GROUP`].
    pub const MAIN: GroupId = GroupId(0);

    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The name of a plain network's one group.
pub const MAIN_GROUP: &str = "main";

/// Where an element of the CRN came from.
#[derive(Clone, Debug, PartialEq, Default, serde::Serialize)]
pub struct Origin {
    /// The source span, for diagnostics (absent for inputs without spans).
    #[serde(skip)]
    pub span: Option<Span>,
    /// The `include` statements and module instances that brought the
    /// element into the network, outermost first, for diagnostics (reactions
    /// only so far).
    #[serde(skip)]
    pub brought_in_at: Vec<Span>,
    /// Where the span starts, for backends that print origins.
    pub location: Option<Location>,
    /// The pass that created the element (`source` for what the user wrote).
    pub pass: &'static str,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Species {
    pub name: String,
    pub role: Role,
    /// Set when the species is one rail of a signed value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rail: Option<Rail>,
    /// The group whose sub-network alone uses the species; `None` for a
    /// species that several phases share (docs/formats.md, "Groups").
    #[serde(skip)]
    pub group: Option<GroupId>,
    /// In the species' declared quantity: concentration or amount.
    pub initial: f64,
    pub quantity: Quantity,
    pub origin: Origin,
    /// The name of its compartment in [`Crn::compartments`]; `None` is the
    /// reaction compartment (size [`Crn::volume`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compartment: Option<String>,
}

/// A compartment other than the reaction compartment: species in it have
/// concentrations over its size (docs/language.md, "Compartments").
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Compartment {
    pub name: String,
    pub size: f64,
    pub origin: Origin,
}

impl Species {
    /// A plain species with no rail, group or origin: what hand-built
    /// networks (tests, tools) start from.
    pub fn plain(name: &str, initial: f64, quantity: Quantity) -> Species {
        Species {
            name: name.into(),
            role: Role::Plain,
            rail: None,
            group: None,
            initial,
            quantity,
            origin: Origin::default(),
            compartment: None,
        }
    }
}

/// A named rate constant, kept so exports can show it by name.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Parameter {
    pub name: String,
    pub value: f64,
    pub origin: Origin,
}

/// The other half of a reversible pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Partner {
    /// This is the forward half; the reverse is the reaction at this index.
    Reverse(usize),
    /// This is the reverse half of the reaction at this index.
    Forward(usize),
}

/// One term of a rate law: `coefficient · ∏ x_s^e`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LawTerm {
    pub coefficient: f64,
    /// (species, exponent >= 1), each species at most once, sorted.
    pub factors: Vec<(SpeciesId, u32)>,
}

impl LawTerm {
    /// The term's value at concentrations `x`.
    pub fn value(&self, x: &[f64]) -> f64 {
        self.factors.iter().fold(self.coefficient, |v, &(s, e)| v * x[s.index()].powi(e as i32))
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Reaction {
    /// (species, coefficient), each species at most once, in source order.
    pub reactants: Vec<(SpeciesId, u32)>,
    pub products: Vec<(SpeciesId, u32)>,
    pub rate: f64,
    /// Index into [`Crn::parameters`] when the rate is a named parameter.
    pub rate_param: Option<usize>,
    pub partner: Option<Partner>,
    pub label: Option<String>,
    pub origin: Origin,
    /// A rate law that replaces mass action (docs/language.md, "Rate laws"):
    /// the flux is the sum of its terms at the concentrations, whatever the
    /// network's convention; `rate` is then 1 and the reaction has no partner.
    /// Passes never split or merge such a reaction.
    pub law: Option<Vec<LawTerm>>,
    /// The phase sub-network the reaction belongs to.
    pub group: GroupId,
}

impl Reaction {
    /// Number of reactant molecules (molecularity).
    /// Reactant molecules, saturating: a complex of millions of species must
    /// not wrap to a small order and slip past `--max-order`.
    pub fn order(&self) -> u32 {
        self.reactants.iter().fold(0u32, |m, &(_, n)| m.saturating_add(n))
    }

    /// Net change of each species in one event.
    pub fn net_change(&self) -> impl Iterator<Item = (SpeciesId, i64)> + '_ {
        let mut changes: Vec<(SpeciesId, i64)> = Vec::new();
        let mut add = |s: SpeciesId, d: i64| match changes.iter_mut().find(|(t, _)| *t == s) {
            Some((_, n)) => *n += d,
            None => changes.push((s, d)),
        };
        for &(s, n) in &self.reactants {
            add(s, -i64::from(n));
        }
        for &(s, n) in &self.products {
            add(s, i64::from(n));
        }
        changes.into_iter().filter(|&(_, d)| d != 0)
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Metadata {
    /// The file the network was compiled from.
    pub source: String,
    pub generator: String,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Crn {
    pub name: String,
    pub rate_law: RateLaw,
    /// Volume of the reaction compartment: every reaction's flux is
    /// `volume · f(x)` in amount per time, and a species without a
    /// compartment has concentration = amount / volume.
    pub volume: f64,
    /// Compartments of their own sizes, in source order (usually none).
    pub compartments: Vec<Compartment>,
    pub species: Vec<Species>,
    pub parameters: Vec<Parameter>,
    pub reactions: Vec<Reaction>,
    pub metadata: Metadata,
    /// Group names, indexed by [`GroupId`]: `[main]` for a plain network.
    pub groups: Vec<String>,
}

impl Crn {
    pub fn species(&self, id: SpeciesId) -> &Species {
        &self.species[id.index()]
    }

    /// The size of the compartment species `s` lives in.
    pub fn size(&self, s: &Species) -> f64 {
        match &s.compartment {
            None => self.volume,
            Some(name) => {
                self.compartments
                    .iter()
                    .find(|c| c.name == *name)
                    .expect("validated: compartments exist")
                    .size
            }
        }
    }

    /// Each species' compartment size, by species index.
    pub fn sizes(&self) -> Vec<f64> {
        self.species.iter().map(|s| self.size(s)).collect()
    }

    /// Initial concentrations, each in its species' own compartment (amount
    /// species divided by their compartment's size).
    pub fn initial_concentrations(&self) -> Vec<f64> {
        self.species
            .iter()
            .map(|s| match s.quantity {
                Quantity::Concentration => s.initial,
                Quantity::Amount => s.initial / self.size(s),
            })
            .collect()
    }

    /// Whether `r` is a learning reaction (domain.md §3.5): it changes
    /// potentials and nothing else.
    pub fn is_learning(&self, r: &Reaction) -> bool {
        let mut changes = r.net_change().filter(|&(_, d)| d != 0).peekable();
        changes.peek().is_some() && changes.all(|(s, _)| self.species(s).role == Role::Potential)
    }

    /// Reactant molecules of `r` that collide, which `--max-order` bounds:
    /// potentials are left out, being chemostats whose concentrations
    /// multiply the propensity (domain.md §3.4), not molecules of the
    /// vesicle. Saturating, as [`Reaction::order`].
    pub fn molecularity(&self, r: &Reaction) -> u32 {
        r.reactants
            .iter()
            .filter(|&&(s, _)| self.species(s).role != Role::Potential)
            .fold(0u32, |m, &(_, n)| m.saturating_add(n))
    }

    /// Reaction rate (flux, concentration per time in the reaction volume) of
    /// reaction `r` at concentrations `x`, each in its species' own
    /// compartment, under the network's rate-law convention.
    pub fn flux(&self, r: &Reaction, x: &[f64]) -> f64 {
        if let Some(law) = &r.law {
            return law.iter().map(|t| t.value(x)).sum();
        }
        let monomial: f64 = r.reactants.iter().map(|&(s, n)| x[s.index()].powi(n as i32)).product();
        r.rate * monomial / self.divisor(&r.reactants)
    }

    /// A rate law as crnl (`0.5 * P^2 - 0.5 * P`), species by name.
    pub fn law_text(&self, law: &[LawTerm]) -> String {
        let terms: Vec<(f64, Vec<(&str, u32)>)> = law
            .iter()
            .map(|t| {
                (t.coefficient, t.factors.iter().map(|&(s, e)| (self.species(s).name.as_str(), e)).collect())
            })
            .collect();
        crate::ir::LawText(&terms).to_string()
    }

    /// What the rate law divides the monomial of a reactant complex by:
    /// ∏ α_i! under the combinatoric convention, 1 under mass action.
    pub fn divisor(&self, complex: &[(SpeciesId, u32)]) -> f64 {
        self.rate_law.divisor(complex.iter().map(|&(_, n)| n))
    }

    /// The stoichiometry matrix S (species x reactions), S_ir = net change of
    /// species i in one event of reaction r.
    pub fn stoichiometry(&self) -> nalgebra::DMatrix<f64> {
        let mut s = nalgebra::DMatrix::zeros(self.species.len(), self.reactions.len());
        for (r, reaction) in self.reactions.iter().enumerate() {
            for (sp, d) in reaction.net_change() {
                s[(sp.index(), r)] = d as f64;
            }
        }
        s
    }
}

/// Rails and groups: what the protocol and its executor look up.
impl Crn {
    /// Every signed value with both rails, in the order its first rail is
    /// declared. A value with one rail only (a negative constant keeps just
    /// its `x_m`) has no pair.
    pub fn rail_pairs(&self) -> Vec<RailPair> {
        let mut rails: indexmap::IndexMap<&str, (Option<SpeciesId>, Option<SpeciesId>)> =
            indexmap::IndexMap::new();
        for (i, s) in self.species.iter().enumerate() {
            if let Some(rail) = &s.rail {
                let entry = rails.entry(rail.of.as_str()).or_default();
                let slot = match rail.sign {
                    Sign::Plus => &mut entry.0,
                    Sign::Minus => &mut entry.1,
                };
                slot.get_or_insert(SpeciesId(i as u32));
            }
        }
        rails
            .into_values()
            .filter_map(|pair| match pair {
                (Some(plus), Some(minus)) => Some(RailPair { plus, minus }),
                _ => None,
            })
            .collect()
    }

    /// The two rails of the signed value `value`, found by role.
    pub fn rails_of(&self, value: &str) -> Option<RailPair> {
        let find = |sign| {
            self.species.iter().position(|s| s.rail.as_ref().is_some_and(|r| r.of == value && r.sign == sign))
        };
        Some(RailPair {
            plus: SpeciesId(find(Sign::Plus)? as u32),
            minus: SpeciesId(find(Sign::Minus)? as u32),
        })
    }

    /// The group called `name`.
    pub fn group(&self, name: &str) -> Option<GroupId> {
        self.groups.iter().position(|g| g == name).map(|i| GroupId(i as u32))
    }
}

pub fn factorial(n: u32) -> f64 {
    (2..=n).map(f64::from).product()
}

/// ∏ α_i! over a complex's multiplicities: what the combinatoric convention
/// divides a mass-action rate by.
pub fn factorial_product(multiplicities: impl IntoIterator<Item = u32>) -> f64 {
    multiplicities.into_iter().map(factorial).product()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crn(rate_law: RateLaw) -> Crn {
        let origin = Origin::default();
        let species = |name: &str| Species {
            name: name.into(),
            role: Role::Plain,
            rail: None,
            group: None,
            initial: 2.0,
            quantity: Quantity::Concentration,
            origin: origin.clone(),
            compartment: None,
        };
        Crn {
            name: "t".into(),
            rate_law,
            volume: 1.0,
            compartments: vec![],
            species: vec![species("A"), species("B")],
            parameters: vec![],
            reactions: vec![Reaction {
                reactants: vec![(SpeciesId(0), 2), (SpeciesId(1), 1)],
                products: vec![(SpeciesId(0), 3)],
                rate: 0.5,
                rate_param: None,
                partner: None,
                label: None,
                origin,
                law: None,
                group: GroupId::MAIN,
            }],
            metadata: Metadata { source: "t".into(), generator: "test".into() },
            groups: vec![MAIN_GROUP.into()],
        }
    }

    #[test]
    fn flux_follows_the_rate_law_convention() {
        let x = [3.0, 2.0];
        let plain = crn(RateLaw::MassAction);
        assert_eq!(plain.flux(&plain.reactions[0], &x), 0.5 * 9.0 * 2.0);
        let comb = crn(RateLaw::Combinatoric);
        assert_eq!(comb.flux(&comb.reactions[0], &x), 0.5 * 9.0 * 2.0 / 2.0);
    }

    #[test]
    fn stoichiometry_is_net_change() {
        let s = crn(RateLaw::MassAction).stoichiometry();
        assert_eq!(s[(0, 0)], 1.0);
        assert_eq!(s[(1, 0)], -1.0);
        assert_eq!(crn(RateLaw::MassAction).reactions[0].order(), 3);
    }

    #[test]
    fn rails_are_found_by_role_and_a_lone_rail_has_no_pair() {
        use super::passes::fixture;
        let species = [("a", 0.0), ("b", 0.0), ("c", 0.0), ("d", 0.0), ("e", 0.0)];
        let mut crn = fixture::crn(RateLaw::MassAction, &species, vec![]);
        fixture::rails(&mut crn, 0, "x", Role::Parameter);
        fixture::rails(&mut crn, 3, "y", Role::State);
        // A negative constant keeps only its minus rail.
        crn.species[2].rail = Some(Rail { of: "k".into(), sign: Sign::Minus });
        let pair = |p, m| RailPair { plus: SpeciesId(p), minus: SpeciesId(m) };
        assert_eq!(crn.rail_pairs(), [pair(0, 1), pair(3, 4)]);
        assert_eq!((crn.rails_of("y"), crn.rails_of("k")), (Some(pair(3, 4)), None));
        assert_eq!(validate(&crn), vec![]);
    }

    #[test]
    fn validate_checks_groups_and_rails() {
        use super::passes::fixture;
        let decay = |rate, partner| (vec![(SpeciesId(0), 1)], vec![(SpeciesId(1), 1)], rate, partner);
        let reverse = (vec![(SpeciesId(1), 1)], vec![(SpeciesId(0), 1)], 1.0, Some(Partner::Forward(0)));
        let net = fixture::crn(
            RateLaw::MassAction,
            &[("a", 1.0), ("b", 0.0)],
            vec![decay(1.0, Some(Partner::Reverse(1))), reverse],
        );
        let broken = |change: &dyn Fn(&mut Crn)| {
            let mut crn = fixture::grouped(net.clone(), &["one", "two"], &[0, 0]);
            change(&mut crn);
            validate(&crn).into_iter().map(|v| v.0).collect::<Vec<_>>()
        };
        assert_eq!(broken(&|_| {}), Vec::<String>::new());
        assert_eq!(broken(&|c| c.reactions[0].group = GroupId(2))[0], "reaction 0: group index out of range");
        assert_eq!(
            broken(&|c| c.species[1].group = Some(GroupId(5))),
            ["species b: group index out of range"]
        );
        assert_eq!(
            broken(&|c| c.reactions[1].group = GroupId(1)),
            [
                "reaction 0: its partner 1 is in another group",
                "reaction 1: its partner 0 is in another group"
            ]
        );
        assert_eq!(broken(&|c| c.groups[1] = "one".into()), ["group 1: name `one` is empty or not unique"]);
        assert_eq!(broken(&|c| c.groups.clear())[0], "the CRN has no group");
        let twice = |c: &mut Crn| {
            for s in &mut c.species {
                s.rail = Some(Rail { of: "x".into(), sign: Sign::Plus });
            }
        };
        assert_eq!(broken(&twice), ["species b: a second + rail of `x`"]);
        let net = fixture::grouped(net.clone(), &["one", "two"], &[0, 0]);
        assert_eq!(net.group("two"), Some(GroupId(1)));
        assert_eq!(net.group("three"), None);
    }
}
